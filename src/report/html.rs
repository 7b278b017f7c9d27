//! The HTML pieces both pages are written with (the model report and the monitoring
//! page): escaping, tiles, tables, figures and the one style sheet.

/// HTML-escape text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

pub(super) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in headers {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

pub(super) fn tile(label: &str, value: String) -> String {
    format!("<div class=\"tile\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>", esc(&value), esc(label))
}

pub(super) fn figure(svg: String) -> String {
    format!("<figure>{svg}</figure>")
}

pub(super) const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;color:#1d2329}\
main{max-width:1120px;margin:0 auto;padding:24px}h1{margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #dde2e7;padding-bottom:4px}\
.sub{color:#5b6670}.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.tile{background:#fff;border:1px solid #dde2e7;border-radius:8px;padding:12px 16px;min-width:120px}\
.tile .v{font-size:24px;font-weight:600}.tile .l{color:#5b6670;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:16px}\
figure{margin:0;background:#fff;border:1px solid #dde2e7;border-radius:8px;padding:8px}table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:14px}\
th,td{border:1px solid #dde2e7;padding:4px 10px;text-align:right}th{background:#eef1f4}td:first-child,th:first-child{text-align:left}\
.note{color:#5b6670;font-size:14px;max-width:900px}\
table.heat td small{display:block;color:#5b6670;font-size:10px}table.heat caption{font-weight:600;padding:4px}";
