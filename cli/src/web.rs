//! `inprof web`: one local page with the top table (sortable), the flame
//! graph, peek on click, and the call graph when Graphviz is installed.
//! Served on 127.0.0.1 only.

use crate::view::{self, Select};
use inprof_runtime::pprof::Profile;
use inprof_runtime::report::format_value;
use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page for `p`.
pub fn page(p: &Profile, sel: &Select, title: &str) -> Result<String, String> {
    let (_, unit, st) = view::selected(p, sel)?;
    let total: i64 = st.iter().map(|(_, v)| v).sum::<i64>().max(1);
    let mut rows = view::flat_cum(&st);
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut table = String::new();
    for (name, flat, cum) in &rows {
        let _ = writeln!(
            table,
            "<tr data-fn=\"{n}\"><td data-v=\"{flat}\">{}</td><td>{:.2}%</td><td data-v=\"{cum}\">{}</td><td>{:.2}%</td><td class=fn><a href=\"#peek={u}\">{n}</a></td></tr>",
            format_value(*flat, &unit),
            *flat as f64 * 100.0 / total as f64,
            format_value(*cum, &unit),
            *cum as f64 * 100.0 / total as f64,
            n = escape(name),
            u = percent_encode(name),
        );
    }
    // The flame graph and the call graph are documents of their own,
    // built when first asked for (so the page is served at once, however
    // big the profile), and inferno's search and zoom scripts work as they
    // do in a standalone SVG.
    let flame =
        "<object id=\"flame\" type=\"image/svg+xml\" data=\"/flame.svg\"></object>".to_owned();
    let graph =
        "<object id=\"graph\" type=\"image/svg+xml\" data=\"/graph.svg\"></object>".to_owned();
    Ok(format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>inprof: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 2px 8px; text-align: right; border-bottom: 1px solid #ddd; }}
td.fn {{ text-align: left; font-family: monospace; }}
th {{ cursor: pointer; background: #eee; }}
#peek {{ white-space: pre; font-family: monospace; background: #f6f6f6; padding: 8px; min-height: 2em; }}
section {{ margin-bottom: 2em; }}
</style></head>
<body>
<h1>inprof: {title}</h1>
<section><h2>Top</h2>
<table id="top"><thead><tr><th data-col="0">flat</th><th data-col="1">flat%</th><th data-col="2">cum</th><th data-col="3">cum%</th><th data-col="4">name</th></tr></thead>
<tbody>
{table}</tbody></table></section>
<section><h2>Peek</h2><div id="peek">Click a function to see its callers and callees.</div></section>
<section><h2>Flame graph</h2>{flame}</section>
<section><h2>Call graph</h2>{graph}</section>
<script>
function showPeek() {{
  const m = location.hash.match(/^#peek=(.*)$/);
  if (!m) return;
  fetch('/peek?fn=' + m[1]).then(r => r.text()).then(t => {{
    document.getElementById('peek').textContent = t;
  }});
}}
window.addEventListener('hashchange', showPeek);
showPeek();
document.querySelectorAll('#top th').forEach(th => th.addEventListener('click', () => {{
  const col = +th.dataset.col, body = document.querySelector('#top tbody');
  const rows = [...body.rows];
  const key = r => {{ const c = r.cells[col]; return c.dataset.v !== undefined ? -Number(c.dataset.v) : (col === 4 ? c.textContent : -parseFloat(c.textContent)); }};
  rows.sort((a, b) => {{ const x = key(a), y = key(b); return x < y ? -1 : x > y ? 1 : 0; }});
  rows.forEach(r => body.appendChild(r));
}}));
</script>
</body></html>
"#,
        title = escape(title)
    ))
}

fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The value of `key` in the query string `q` (percent-decoded).
fn query_value(q: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Serves the page on 127.0.0.1:`port` until interrupted.
pub fn serve(
    p: Profile,
    sel: Select,
    title: &str,
    port: u16,
    open_browser: bool,
) -> Result<(), String> {
    let server = tiny_http_server(port)?;
    let addr = server
        .server_addr()
        .to_ip()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!("serving http://{addr}/ (Ctrl-C to stop)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if open_browser {
        open(&format!("http://{addr}/"));
    }
    // Each view is built on first request, then kept.
    let html = std::cell::OnceCell::new();
    let flame = std::cell::OnceCell::new();
    let graph = std::cell::OnceCell::new();
    for req in server.incoming_requests() {
        let url = req.url().to_owned();
        let (status, ctype, body) = if url == "/" || url.starts_with("/?") {
            match html.get_or_init(|| page(&p, &sel, title)) {
                Ok(h) => (200, "text/html; charset=utf-8", h.clone().into_bytes()),
                Err(e) => (400, "text/plain; charset=utf-8", e.clone().into_bytes()),
            }
        } else if url == "/flame.svg" {
            match flame.get_or_init(|| view::flame_svg(&p, &sel, title)) {
                Ok(f) => (200, "image/svg+xml", f.clone()),
                Err(e) => (400, "text/plain; charset=utf-8", e.clone().into_bytes()),
            }
        } else if url == "/graph.svg" {
            let g = graph.get_or_init(|| view::dot(&p, &sel).and_then(|d| view::dot_to_svg(&d)));
            match g {
                Ok(g) => (200, "image/svg+xml", g.clone()),
                Err(e) => (400, "text/plain; charset=utf-8", e.clone().into_bytes()),
            }
        } else if let Some(q) = url.strip_prefix("/peek?") {
            let name = query_value(q, "fn").unwrap_or_default();
            let re = regex::Regex::new(&format!("^{}$", regex::escape(&name)))
                .map_err(|e| e.to_string())?;
            match view::peek(&p, &sel, &re) {
                Ok(t) => (200, "text/plain; charset=utf-8", t.into_bytes()),
                Err(e) => (400, "text/plain; charset=utf-8", e.into_bytes()),
            }
        } else {
            (404, "text/plain; charset=utf-8", b"not found\n".to_vec())
        };
        let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
        if let Ok(h) = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes()) {
            resp = resp.with_header(h);
        }
        let _ = req.respond(resp);
    }
    Ok(())
}

/// Opens `url` in the desktop's browser, if there is a desktop (as
/// `go tool pprof -http` does; `--no-browser` skips it).
fn open(url: &str) {
    let desktop = std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
        || cfg!(target_os = "macos");
    if !desktop {
        return;
    }
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

fn tiny_http_server(port: u16) -> Result<tiny_http::Server, String> {
    tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| format!("listening on 127.0.0.1:{port}: {e}"))
}
