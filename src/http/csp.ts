/**
 * Where browsers send Content-Security-Policy violation reports (the Reporting API's endpoint,
 * and report-uri): named by every response's headers (middleware/secure-headers.ts) and answered
 * by the dashboard (ui/reports.ts).
 */
export const CSP_REPORT_PATH = "/csp-report";
