//! The reference nginx configuration: one worker, access log
//! off, `return 200` with the same body our server sends, keep-alive limits high enough
//! that nginx never closes a benchmark connection, and room for the idle connections.
//! Every path is inside the run's own directory, so nothing under /etc or /var is used.

use std::path::Path;

pub struct NginxSettings<'a> {
    /// nginx's prefix: the config, pid file, error log and temp directories live here.
    pub prefix: &'a Path,
    pub port: u16,
    /// The response body, the same bytes our server answers with.
    pub body: &'a str,
    /// Connections the worker must be able to hold at once.
    pub connections: u64,
}

pub fn render(settings: &NginxSettings) -> String {
    let prefix = settings.prefix.display();
    let port = settings.port;
    // nginx strings take \n, \" and \\ escapes; the body is ours, so escaping those is
    // all it needs.
    let body = settings
        .body
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    let connections = settings.connections;
    // The file limit also covers the listening socket and log files.
    let open_files = connections + 256;
    format!(
        r#"# Written by the http-echo benchmark: nginx as the reference server.
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {open_files};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections {connections};
}}

http {{
    access_log off;
    # Never close a benchmark connection: wrk reuses each one for the whole run.
    keepalive_timeout 300s;
    keepalive_requests 1000000000;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;

    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type text/plain;
            return 200 "{body}";
        }}
    }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_setup_and_the_body_are_in_the_config() {
        let config = render(&NginxSettings {
            prefix: Path::new("/run/here"),
            port: 8080,
            body: "say \"hi\"\n",
            connections: 1024,
        });
        for line in [
            "worker_processes 1;",
            "access_log off;",
            "keepalive_requests 1000000000;",
            "worker_connections 1024;",
            "listen 127.0.0.1:8080;",
            r#"return 200 "say \"hi\"\n";"#,
            "pid /run/here/nginx.pid;",
        ] {
            assert!(config.contains(line), "missing {line:?} in:\n{config}");
        }
    }
}
