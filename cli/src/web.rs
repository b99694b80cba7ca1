//! `inprof web`: a local web UI beside `go tool pprof -http`: top, call
//! graph, flame graph and its inverted (icicle) form, peek and source
//! views; a sample-type selector that says what is shown; focus, ignore,
//! hide, show and search applying to every view; graph nodes and top rows
//! that open a function's callers and callees. Served on 127.0.0.1 only
//! (and to loopback `Host` names only: no DNS rebinding);
//! each view is built when first asked for and kept.

use crate::view::{self, Select};
use inprof_runtime::pprof::Profile;
use inprof_runtime::report::format_value;
use std::collections::HashMap;
use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query string's parameters (percent-decoded; first value wins).
fn query(q: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// The selection a view's query asks for, on top of the command line's.
fn select_for(base: &Select, q: &HashMap<String, String>) -> Result<Select, String> {
    let mut sel = base.clone();
    let re = |s: &str| regex::Regex::new(s).map_err(|e| format!("bad regex {s:?}: {e}"));
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    if let Some(si) = get("si") {
        sel.sample_index = Some(si.clone());
    }
    if let Some(v) = get("focus") {
        sel.focus = Some(re(v)?);
    }
    if let Some(v) = get("ignore") {
        sel.ignore = Some(re(v)?);
    }
    if let Some(v) = get("hide") {
        sel.hide = Some(re(v)?);
    }
    if let Some(v) = get("show") {
        sel.show = Some(re(v)?);
    }
    Ok(sel)
}

/// The sample type `sel` shows, as "name (unit)".
fn shown_type(p: &Profile, sel: &Select) -> String {
    inprof_runtime::report::sample_index(p, sel.sample_index.as_deref())
        .and_then(|i| p.sample_type.get(i))
        .map(|t| format!("{} ({})", p.str(t.r#type), p.str(t.unit)))
        .unwrap_or_default()
}

/// The top table (HTML fragment): sortable, each name opening its peek.
fn top_html(p: &Profile, sel: &Select, search: Option<&regex::Regex>) -> Result<String, String> {
    let (_, unit, st) = view::selected(p, sel)?;
    let total: i64 = st.iter().map(|(_, v)| v).sum::<i64>().max(1);
    let mut rows = view::flat_cum(&st);
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let inl = view::inlined(&st);
    let mut out = format!(
        "<p class=summary>Type: <b>{}</b> · {} functions · total {}</p>\n<table id=\"top\"><thead><tr><th data-col=\"0\">flat</th><th data-col=\"1\">flat%</th><th data-col=\"2\">sum%</th><th data-col=\"3\">cum</th><th data-col=\"4\">cum%</th><th data-col=\"5\">name</th></tr></thead><tbody>\n",
        escape(&shown_type(p, sel)),
        rows.len(),
        format_value(total, &unit)
    );
    let mut sum = 0;
    for (name, flat, cum) in &rows {
        sum += flat;
        let hit = search.is_some_and(|re| re.is_match(name));
        let _ = writeln!(
            out,
            "<tr data-fn=\"{n}\"{cls}><td data-v=\"{flat}\">{}</td><td>{:.2}%</td><td>{:.2}%</td><td data-v=\"{cum}\">{}</td><td>{:.2}%</td><td class=fn><a href=\"#view=peek&amp;fn={u}\">{n}</a>{l}</td></tr>",
            format_value(*flat, &unit),
            *flat as f64 * 100.0 / total as f64,
            sum as f64 * 100.0 / total as f64,
            format_value(*cum, &unit),
            *cum as f64 * 100.0 / total as f64,
            n = escape(name),
            u = percent_encode(name),
            l = escape(inl.get(name).copied().unwrap_or_default().suffix()),
            cls = if hit { " class=hit" } else { "" },
        );
    }
    out.push_str("</tbody></table>\n");
    Ok(out)
}

/// The call graph as SVG, its nodes links to their peek view, the
/// search's matches outlined.
fn graph_svg(p: &Profile, sel: &Select, search: Option<&regex::Regex>) -> Result<Vec<u8>, String> {
    // Each node: a link to its peek (graphviz turns URL into an <a>), and
    // outlined when the search matches it.
    let attrs = |name: &str| {
        let mut a = vec![
            ("URL", format!("#view=peek&fn={}", percent_encode(name))),
            ("target", "_top".to_owned()),
        ];
        if search.is_some_and(|re| re.is_match(name)) {
            a.push(("penwidth", "4".to_owned()));
            a.push(("color", "#1f5fbf".to_owned()));
        }
        a
    };
    let dot = view::dot_with_attrs(p, sel, view::GraphOptions::default(), &attrs)?;
    view::dot_to_svg(&dot)
}

/// The page: the controls, and the view area the script fills.
fn page(p: &Profile, sel: &Select, title: &str) -> String {
    let current = inprof_runtime::report::sample_index(p, sel.sample_index.as_deref());
    let mut options = String::new();
    for (i, t) in p.sample_type.iter().enumerate() {
        let name = p.str(t.r#type);
        let _ = write!(
            options,
            "<option value=\"{n}\"{s}>{n} ({u})</option>",
            n = escape(name),
            u = escape(p.str(t.unit)),
            s = if Some(i) == current { " selected" } else { "" }
        );
    }
    let init =
        |r: &Option<regex::Regex>| r.as_ref().map(|r| escape(r.as_str())).unwrap_or_default();
    format!(
        r##"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>inprof: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 0; }}
header {{ background: #f0f0f0; padding: 8px 12px; border-bottom: 1px solid #ccc; }}
header label {{ margin-right: 10px; font-size: 90%; }}
header input {{ width: 10em; }}
nav a {{ margin-right: 14px; text-decoration: none; font-weight: bold; color: #225; }}
nav a.on {{ border-bottom: 3px solid #225; }}
main {{ padding: 12px; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 2px 8px; text-align: right; border-bottom: 1px solid #ddd; }}
td.fn {{ text-align: left; font-family: monospace; }}
th {{ cursor: pointer; background: #eee; }}
tr.hit td {{ background: #fff3b0; }}
pre {{ font-family: monospace; background: #f6f6f6; padding: 8px; }}
#error {{ color: #a00; }}
object, svg {{ max-width: 100%; }}
</style></head>
<body>
<header>
<b>inprof: {title}</b> &nbsp;
<label>Sample <select id="si">{options}</select></label>
<label>focus <input id="focus" value="{focus}"></label>
<label>ignore <input id="ignore" value="{ignore}"></label>
<label>hide <input id="hide" value="{hide}"></label>
<label>show <input id="show" value="{show}"></label>
<label>search <input id="search"></label>
<nav><a data-view="top" href="#">Top</a><a data-view="graph" href="#">Graph</a><a data-view="flame" href="#">Flame graph</a><a data-view="icicle" href="#">Icicle</a><a data-view="peek" href="#">Peek</a><a data-view="source" href="#">Source</a></nav>
<div>Showing <span id="shown"></span> <span id="error"></span></div>
</header>
<main id="view"></main>
<script>
const fields = ['si', 'focus', 'ignore', 'hide', 'show', 'search'];
function state() {{
  const h = new URLSearchParams(location.hash.slice(1));
  const s = {{ view: h.get('view') || 'top', fn: h.get('fn') || '' }};
  for (const f of fields) s[f] = h.has(f) ? h.get(f) : document.getElementById(f).value;
  return s;
}}
function go(changes) {{
  const s = Object.assign(state(), changes);
  const h = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v) h.set(k, v);
  location.hash = h.toString();
}}
function q(s) {{
  const p = new URLSearchParams();
  for (const f of fields) if (s[f]) p.set(f, s[f]);
  if (s.fn) p.set('fn', s.fn);
  return p.toString();
}}
async function render() {{
  const s = state();
  for (const f of fields) document.getElementById(f).value = s[f] || '';
  document.querySelectorAll('nav a').forEach(a => a.classList.toggle('on', a.dataset.view === s.view));
  const si = document.getElementById('si');
  document.getElementById('shown').textContent = si.options[si.selectedIndex].text + ' · ' + s.view + (s.fn ? ' · ' + s.fn : '');
  document.getElementById('error').textContent = '';
  const v = document.getElementById('view');
  const qs = q(s);
  if (s.view === 'flame' || s.view === 'icicle') {{
    // inferno's own search highlights the matches (its `s` parameter).
    const hl = s.search ? '&s=' + encodeURIComponent(s.search) : '';
    v.innerHTML = '<object id="flame" type="image/svg+xml" data="/view/' + s.view + '.svg?' + qs + hl + '"></object>';
    return;
  }}
  if ((s.view === 'peek' || s.view === 'source') && !s.fn) {{
    v.innerHTML = '<p>Click a function in Top or Graph, or type a regexp: <input id="fnbox"></p>';
    document.getElementById('fnbox').addEventListener('change', e => go({{ fn: e.target.value }}));
    return;
  }}
  const path = s.view === 'graph' ? '/view/graph.svg' : '/view/' + s.view;
  const r = await fetch(path + '?' + qs);
  const t = await r.text();
  if (!r.ok) {{ document.getElementById('error').textContent = t; v.innerHTML = ''; return; }}
  if (s.view === 'top' || s.view === 'graph') v.innerHTML = t;
  else {{ v.innerHTML = '<pre></pre>'; v.firstChild.textContent = t; }}
  if (s.view === 'top') sortable();
}}
function sortable() {{
  document.querySelectorAll('#top th').forEach(th => th.addEventListener('click', () => {{
    const col = +th.dataset.col, body = document.querySelector('#top tbody');
    const rows = [...body.rows];
    const key = r => {{ const c = r.cells[col]; return c.dataset.v !== undefined ? -Number(c.dataset.v) : (col === 5 ? c.textContent : -parseFloat(c.textContent)); }};
    rows.sort((a, b) => {{ const x = key(a), y = key(b); return x < y ? -1 : x > y ? 1 : 0; }});
    rows.forEach(r => body.appendChild(r));
  }}));
}}
document.querySelectorAll('nav a').forEach(a => a.addEventListener('click', e => {{ e.preventDefault(); go({{ view: a.dataset.view }}); }}));
for (const f of fields) document.getElementById(f).addEventListener('change', e => go({{ [f]: e.target.value }}));
window.addEventListener('hashchange', render);
render();
</script>
</body></html>
"##,
        title = escape(title),
        focus = init(&sel.focus),
        ignore = init(&sel.ignore),
        hide = init(&sel.hide),
        show = init(&sel.show),
    )
}

/// One view for the request `path?query`: (status, content type, body).
fn respond(p: &Profile, base: &Select, title: &str, url: &str) -> (u16, &'static str, Vec<u8>) {
    let (path, q) = url.split_once('?').unwrap_or((url, ""));
    let q = query(q);
    let text = "text/plain; charset=utf-8";
    let sel = match select_for(base, &q) {
        Ok(s) => s,
        Err(e) => return (400, text, e.into_bytes()),
    };
    let search = match q
        .get("search")
        .filter(|s| !s.is_empty())
        .map(|s| regex::Regex::new(s))
    {
        Some(Ok(re)) => Some(re),
        Some(Err(e)) => return (400, text, format!("bad search regex: {e}").into_bytes()),
        None => None,
    };
    let func = || -> Result<regex::Regex, String> {
        let f = q.get("fn").cloned().unwrap_or_default();
        // A function name exactly, else the text as a regexp.
        let exact = format!("^{}$", regex::escape(&f));
        let names = view::flat_cum(&view::selected(p, &sel)?.2);
        if names.iter().any(|(n, _, _)| *n == f) {
            regex::Regex::new(&exact).map_err(|e| e.to_string())
        } else {
            regex::Regex::new(&f).map_err(|e| format!("bad regex {f:?}: {e}"))
        }
    };
    let r: Result<(&'static str, Vec<u8>), String> = match path {
        "/" => Ok((
            "text/html; charset=utf-8",
            page(p, &sel, title).into_bytes(),
        )),
        "/view/top" => {
            top_html(p, &sel, search.as_ref()).map(|h| ("text/html; charset=utf-8", h.into_bytes()))
        }
        "/view/graph.svg" => graph_svg(p, &sel, search.as_ref()).map(|s| {
            // Inline in the page: the SVG element only.
            let s = String::from_utf8_lossy(&s).into_owned();
            let s = s.find("<svg").map(|i| s[i..].to_owned()).unwrap_or(s);
            ("text/html; charset=utf-8", s.into_bytes())
        }),
        "/view/flame.svg" => view::flame_svg(p, &sel, title).map(|s| ("image/svg+xml", s)),
        "/view/icicle.svg" => view::icicle_svg(p, &sel, title).map(|s| ("image/svg+xml", s)),
        "/view/peek" => func()
            .and_then(|re| view::peek(p, &sel, &re))
            .map(|t| (text, t.into_bytes())),
        "/view/source" => func()
            .and_then(|re| view::source(p, &sel, &re))
            .map(|t| (text, t.into_bytes())),
        // The old single-page routes.
        "/flame.svg" => view::flame_svg(p, &sel, title).map(|s| ("image/svg+xml", s)),
        "/peek" => func()
            .and_then(|re| view::peek(p, &sel, &re))
            .map(|t| (text, t.into_bytes())),
        _ => return (404, text, b"not found\n".to_vec()),
    };
    match r {
        Ok((ctype, body)) => (200, ctype, body),
        Err(e) => (400, text, e.into_bytes()),
    }
}

/// Serves the UI on 127.0.0.1:`port` until interrupted, to loopback
/// `Host` names and holders of a token made for this run (printed in the
/// URL, then kept in a cookie); opens the browser there if asked (and
/// there is a desktop).
pub fn serve(
    p: Profile,
    sel: Select,
    title: &str,
    port: u16,
    open_browser: bool,
) -> Result<(), String> {
    let server = tiny_http_server(port)?;
    let local = server
        .server_addr()
        .to_ip()
        .ok_or("the web UI's server has no IP address")?;
    let addr = local.to_string();
    // Any local user can connect to a loopback port: the UI answers only
    // those who have its token (in the URL printed here, then in a
    // cookie), as Jupyter does, and as inprof's agent answers only those
    // who can read its port file.
    let token = inprof_runtime::http::random_token().map_err(|e| format!("web UI token: {e}"))?;
    let gate = Gate {
        cookie: format!("inprof_web_{}", local.port()),
        token,
    };
    let entry = format!("http://{addr}/?token={}", gate.token);
    println!("serving {entry} (Ctrl-C to stop)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // The page that led the browser here, removed once it has.
    let mut page = if open_browser {
        open(&entry, local.port())
    } else {
        None
    };
    // Views are built when first asked for, then kept (bounded).
    let mut cache: HashMap<String, (u16, &'static str, Vec<u8>)> = HashMap::new();
    for req in server.incoming_requests() {
        // A page elsewhere that rebinds its DNS name to 127.0.0.1 reaches
        // this port with its own name as `Host`: refused, as the endpoint
        // refuses it.
        let foreign = req
            .headers()
            .iter()
            .find(|h| h.field.equiv("Host"))
            .is_some_and(|h| !inprof_runtime::http::is_loopback_host(h.value.as_str(), local));
        if foreign {
            let msg = "invalid Host header: inprof web answers loopback names only";
            let _ = req.respond(tiny_http::Response::from_string(msg).with_status_code(403));
            continue;
        }
        let url = match gate.check(&req) {
            Pass::Open(url) => url,
            Pass::Enter => {
                if let Some(p) = page.take() {
                    let _ = std::fs::remove_file(p);
                }
                // The entry URL: the token goes into a cookie and out of
                // the address bar (and the browser's history).
                let resp = tiny_http::Response::empty(303)
                    .with_header(header("Location", "/"))
                    .with_header(header("Set-Cookie", &gate.set_cookie()));
                let _ = req.respond(resp);
                continue;
            }
            Pass::Refused => {
                let msg = "inprof web answers only requests with its token: open the URL it printed (http://127.0.0.1:PORT/?token=...)\n";
                let _ = req.respond(tiny_http::Response::from_string(msg).with_status_code(401));
                continue;
            }
        };
        let (status, ctype, body) = match cache.get(&url) {
            Some(hit) => hit.clone(),
            None => {
                let r = respond(&p, &sel, title, &url);
                if cache.len() >= 64 {
                    cache.clear();
                }
                cache.insert(url, r.clone());
                r
            }
        };
        let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
        if let Ok(h) = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes()) {
            resp = resp.with_header(h);
        }
        let _ = req.respond(resp);
    }
    Ok(())
}

/// Opens the UI at `entry` in the desktop's browser, if there is a
/// desktop (as `go tool pprof -http` does; `--no-browser` skips it). The
/// browser is given a private file that leads on to `entry`, not `entry`
/// itself, as Jupyter does: a command line can be read by every local
/// user (`/proc/PID/cmdline`), and `entry` holds the token. Returns that
/// file.
fn open(entry: &str, port: u16) -> Option<std::path::PathBuf> {
    let desktop = std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
        || cfg!(target_os = "macos");
    if !desktop {
        return None;
    }
    // The config directory must be private too: whoever could write to
    // it could swap `web/` for a directory of theirs.
    let config = inprof_runtime::agent::config_dir();
    let dir = config.join("web");
    let page = match inprof_runtime::serve::files::make_private_dir(&config)
        .and_then(|()| entry_page(&dir, port, entry))
    {
        Ok(p) => p,
        Err(e) => {
            // Never the token on a command line instead.
            eprintln!(
                "inprof: not opening a browser ({}: {e}); open the URL above",
                dir.display()
            );
            return None;
        }
    };
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(cmd)
        .arg(&page)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    Some(page)
}

/// Writes, in `dir` (made private: this user's, mode 0700), a page
/// readable by this user only that sends the browser on to `entry`.
fn entry_page(
    dir: &std::path::Path,
    port: u16,
    entry: &str,
) -> std::io::Result<std::path::PathBuf> {
    use inprof_runtime::serve::files;
    files::make_private_dir(dir)?;
    let page = dir.join(format!("web-{port}.html"));
    let entry = escape(entry);
    let html = format!(
        "<!DOCTYPE html>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"0;url={entry}\">\n<title>inprof web</title>\n<p><a href=\"{entry}\">inprof web</a></p>\n"
    );
    files::write_private(&page, html.as_bytes())?;
    Ok(page)
}

/// A `tiny_http` header from two strings known to be valid.
fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("header {name}: {value}"))
}

/// Who may see the UI: those who have its token.
struct Gate {
    /// The cookie that carries the token (one name per port, so that two
    /// UIs on one machine keep their own).
    cookie: String,
    token: String,
}

/// What [`Gate::check`] lets a request do.
#[derive(Debug, PartialEq)]
enum Pass {
    /// Be answered: its URL, without a `token` parameter.
    Open(String),
    /// The entry URL (`/?token=TOKEN`): set the cookie, go to `/`.
    Enter,
    /// No token, or a wrong one.
    Refused,
}

impl Gate {
    /// The cookie, `Lax`: the browser arrives from the page `open`
    /// wrote (a file: another site), whose navigation a `Strict` cookie
    /// would not follow (every view would be 401). No request to the UI
    /// changes anything, and another site may start one but cannot read
    /// its answer.
    fn set_cookie(&self) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax",
            self.cookie, self.token
        )
    }

    fn check(&self, req: &tiny_http::Request) -> Pass {
        let headers = |name: &'static str| {
            req.headers()
                .iter()
                .filter(move |h| h.field.equiv(name))
                .map(|h| h.value.as_str())
        };
        self.check_parts(
            req.url(),
            headers("Cookie").collect(),
            headers("Authorization").collect(),
        )
    }

    /// [`Gate::check`] on a request's URL and its `Cookie` and
    /// `Authorization` headers: the token in the URL's `token`
    /// parameter, in the cookie, or as a Bearer token (for scripts); each
    /// compared in constant time.
    fn check_parts(&self, url: &str, cookies: Vec<&str>, auth: Vec<&str>) -> Pass {
        let ok = |t: &str| inprof_runtime::http::token_matches(t, &self.token);
        let (path, q) = url.split_once('?').unwrap_or((url, ""));
        let mut in_url = None;
        let rest: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
            .filter_map(|(k, v)| {
                if k == "token" {
                    in_url.get_or_insert(ok(&v));
                    None
                } else {
                    Some((k.into_owned(), v.into_owned()))
                }
            })
            .collect();
        let by_cookie = cookies.iter().flat_map(|c| c.split(';')).any(|kv| {
            kv.trim()
                .split_once('=')
                .is_some_and(|(k, v)| k == self.cookie && ok(v))
        });
        let by_bearer = auth.iter().any(|a| {
            a.trim()
                .split_once(' ')
                .is_some_and(|(s, t)| s.eq_ignore_ascii_case("bearer") && ok(t.trim()))
        });
        match in_url {
            Some(false) => Pass::Refused,
            Some(true) if path == "/" && rest.is_empty() => Pass::Enter,
            Some(true) => {
                let rest: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(rest)
                    .finish();
                Pass::Open(if rest.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{rest}")
                })
            }
            None if by_cookie || by_bearer => Pass::Open(url.to_owned()),
            None => Pass::Refused,
        }
    }
}

fn tiny_http_server(port: u16) -> Result<tiny_http::Server, String> {
    tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| format!("listening on 127.0.0.1:{port}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate {
            cookie: "inprof_web_8080".into(),
            token: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    #[test]
    fn the_browser_gets_a_private_page_that_leads_on() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("inprof-web-page-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let entry = "http://127.0.0.1:8080/?token=0123456789abcdef0123456789abcdef";
        let page = entry_page(&dir.join("web"), 8080, entry).unwrap();
        assert_eq!(page, dir.join("web").join("web-8080.html"));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&page), 0o600);
        assert_eq!(mode(&dir.join("web")), 0o700);
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains(&format!(
                "<meta http-equiv=\"refresh\" content=\"0;url={entry}\">"
            )),
            "{html}"
        );
        // A directory others may write to is refused, and nothing written.
        let shared = dir.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(entry_page(&shared, 8080, entry).is_err());
        assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_the_token_opens_the_ui() {
        let g = gate();
        let t = g.token.clone();
        let check = |url: &str, cookies: &[&str], auth: &[&str]| {
            g.check_parts(url, cookies.to_vec(), auth.to_vec())
        };
        // The entry URL sets the cookie; the cookie, a Bearer token or the
        // token in any other URL opens a view (the parameter taken out).
        assert_eq!(check(&format!("/?token={t}"), &[], &[]), Pass::Enter);
        let c = format!("theme=dark; inprof_web_8080={t}");
        assert_eq!(
            check("/view/top?focus=a%20b", &[&c], &[]),
            Pass::Open("/view/top?focus=a%20b".into())
        );
        assert_eq!(
            check("/view/top", &[], &[&format!("bearer {t}")]),
            Pass::Open("/view/top".into())
        );
        assert_eq!(
            check(&format!("/view/graph.svg?token={t}&search=x"), &[], &[]),
            Pass::Open("/view/graph.svg?search=x".into())
        );
        // Nothing, a wrong token, another port's cookie, a prefix of the
        // token, or a wrong token in the URL beside a right cookie.
        assert_eq!(check("/", &[], &[]), Pass::Refused);
        assert_eq!(check("/view/top", &[], &[]), Pass::Refused);
        assert_eq!(check("/?token=00", &[], &[]), Pass::Refused);
        assert_eq!(
            check("/", &[&format!("inprof_web_8081={t}")], &[]),
            Pass::Refused
        );
        assert_eq!(
            check("/", &[&format!("inprof_web_8080={}", &t[..31])], &[]),
            Pass::Refused
        );
        assert_eq!(check("/", &[], &[&format!("Basic {t}")]), Pass::Refused);
        assert_eq!(
            check("/?token=bad", &[&format!("inprof_web_8080={t}")], &[]),
            Pass::Refused
        );
        assert_eq!(
            g.set_cookie(),
            format!("inprof_web_8080={t}; Path=/; HttpOnly; SameSite=Lax")
        );
    }
}
