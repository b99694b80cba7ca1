//! The call graph of a big profile is pruned as pprof prunes it (at most
//! 80 nodes by default, with a legend saying what was dropped), and
//! `inprof web` serves such a profile's page and graph, to loopback `Host`
//! names and to holders of its token only.

use std::process::Command;

#[path = "../../tests/common/mod.rs"]
mod common;

#[path = "support/web.rs"]
mod web;

#[path = "support/synthetic.rs"]
mod synthetic;

/// 400 functions in call chains 3–12 deep, 20 000 samples.
fn big_profile(path: &std::path::Path) {
    let p = synthetic::profile(400, 20_000);
    p.write_gzip(std::fs::File::create(path).unwrap()).unwrap();
}

#[test]
fn big_graphs_are_pruned_and_served() {
    let dir = std::env::temp_dir().join(format!("inprof-graph-prune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.pb.gz");
    big_profile(&file);

    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["graph", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot = String::from_utf8_lossy(&out.stdout);
    let nodes = dot
        .lines()
        .filter(|l| l.starts_with('N') && !l.contains("->"))
        .count();
    assert!(nodes <= 80 && nodes > 10, "{nodes} nodes");
    assert!(
        dot.contains("Showing top 80 nodes out of 400") || dot.contains("Dropped"),
        "{dot}"
    );
    assert!(dot.contains("\"legend\""), "{dot}");
    // pprof's flags, pprof's spelling.
    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["graph", "-nodecount=10", file.to_str().unwrap()])
        .output()
        .unwrap();
    let dot = String::from_utf8_lossy(&out.stdout);
    let nodes = dot
        .lines()
        .filter(|l| l.starts_with('N') && !l.contains("->"))
        .count();
    assert_eq!(nodes, 10, "{dot}");
    assert!(dot.contains("Showing top 10 nodes out of 400"), "{dot}");

    // The web UI: the page and the graph, served for the big profile.
    let (server, url) = web::serve(&file);
    let (addr, token) = web::parts(&url);
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let cookie = format!("Cookie: inprof_web_{port}={token}");
    let get_as =
        |host: &str, path: &str| web::get(&addr, host, path, std::slice::from_ref(&cookie));
    let get = |path: &str| get_as(&addr, path);
    let status = |reply: &str| reply.split_whitespace().nth(1).unwrap_or("").to_owned();
    // Another local user, who has not the token the UI printed: refused,
    // with nothing of the profile, whatever they guess.
    for (path, headers) in [
        ("/", vec![]),
        ("/view/top", vec![]),
        ("/view/graph.svg", vec![]),
        ("/?token=0123456789abcdef0123456789abcdef", vec![]),
        (
            "/view/top",
            vec![format!("Cookie: inprof_web_{port}=0123456789abcdef")],
        ),
        (
            "/view/top",
            vec![format!("Authorization: Bearer {}", &token[..31])],
        ),
    ] {
        let r = web::get(&addr, &addr, path, &headers);
        assert_eq!(status(&r), "401", "{path} {headers:?}: {r}");
        assert!(!r.contains("app::module"), "{r}");
    }
    // The printed URL: the token goes into a cookie for this port only
    // (HttpOnly, SameSite=Lax), and the browser on to `/`.
    let entry = web::get(&addr, &addr, &format!("/?token={token}"), &[]);
    assert_eq!(status(&entry), "303", "{entry}");
    assert!(entry.contains("Location: /\r\n"), "{entry}");
    assert!(
        entry.contains(&format!(
            "Set-Cookie: inprof_web_{port}={token}; Path=/; HttpOnly; SameSite=Lax\r\n"
        )),
        "{entry}"
    );
    let bearer = web::get(
        &addr,
        &addr,
        "/view/top",
        &[format!("Authorization: Bearer {token}")],
    );
    assert_eq!(
        status(&bearer),
        "200",
        "{}",
        &bearer[..bearer.len().min(300)]
    );
    // DNS rebinding: a foreign name sent to the loopback port is refused
    // before anything is built; loopback names are served.
    let rebound = get_as(&format!("attacker.example:{port}"), "/view/top");
    assert_eq!(status(&rebound), "403", "{rebound}");
    assert!(!rebound.contains("app::module"), "{rebound}");
    let local = get_as(&format!("localhost:{port}"), "/view/top");
    assert_eq!(status(&local), "200", "{}", &local[..local.len().min(300)]);
    let page = get("/");
    assert!(
        page.contains("id=\"si\""),
        "{}",
        &page[..page.len().min(500)]
    );
    let top = get("/view/top");
    assert!(
        top.contains("app::module"),
        "{}",
        &top[..top.len().min(500)]
    );
    let graph = get("/view/graph.svg");
    drop(server);
    if Command::new("dot").arg("-V").output().is_ok() {
        assert!(graph.contains("<svg"), "{}", &graph[..graph.len().min(500)]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opening a browser: the browser is handed a private page that leads on
/// to the URL with the token, never the token itself (a command line is
/// readable by every local user); the page is gone once used.
#[test]
fn the_browser_is_opened_without_the_token_on_its_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("inprof-web-open-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.pb.gz");
    big_profile(&file);
    let opened = web::serve_opened(&file, &dir);
    let (addr, token) = web::parts(&opened.url);
    assert!(
        !opened.arg.contains(&token),
        "the token on a command line: {}",
        opened.arg
    );
    let page = std::path::PathBuf::from(&opened.arg);
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(
        page,
        dir.join("config")
            .join("web")
            .join(format!("web-{port}.html"))
    );
    let md = std::fs::metadata(&page).unwrap();
    assert_eq!(md.permissions().mode() & 0o777, 0o600);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(&format!("url={}\"", opened.url)), "{html}");
    // The browser follows it: the entry URL sets the cookie, and the page
    // is removed.
    let entry = web::get(&addr, &addr, &format!("/?token={token}"), &[]);
    assert_eq!(entry.split_whitespace().nth(1), Some("303"), "{entry}");
    assert!(!page.exists(), "the page with the token outlived its use");
    drop(opened);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A config directory others may write to (they could swap `web/` for
/// a directory of theirs): no page is written there and no browser is
/// opened, and `inprof web` says why and serves on.
#[test]
fn no_browser_is_opened_through_a_shared_config_directory() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("inprof-web-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.pb.gz");
    big_profile(&file);
    let config = dir.join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (path, argv) = web::fake_opener(&dir);
    let mut server = common::KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_inprof"))
            .args(["web", file.to_str().unwrap(), "--port", "0"])
            .env("DISPLAY", ":99")
            .env("PATH", path)
            .env("INPROF_CONFIG_DIR", &config)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut err = String::new();
    BufReader::new(server.0.stderr.take().unwrap())
        .read_line(&mut err)
        .unwrap();
    assert!(
        err.starts_with("inprof: not opening a browser (")
            && err.contains("writable by group or others"),
        "{err}"
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (addr, token) = web::parts(line.split_whitespace().nth(1).unwrap());
    let top = web::get(
        &addr,
        &addr,
        "/view/top",
        &[format!("Authorization: Bearer {token}")],
    );
    assert_eq!(top.split_whitespace().nth(1), Some("200"), "{top}");
    assert!(!argv.exists(), "a browser was opened");
    assert!(!config.join("web").exists());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
