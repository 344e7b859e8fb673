//! The reference nginx configuration: one worker, access log off, `return 200` with
//! the same body our server sends, keep-alive limits high enough that nginx never
//! closes a benchmark connection, and room for the idle connections. With TLS: the
//! certificate our server presents, HTTP/2 and HTTP/1.1 by ALPN, TLS 1.2 and 1.3
//! (nginx 1.22 leaves 1.3 off unless told), and no session cache or tickets, so that
//! every new connection is a full handshake.
//! Every path is inside the run's own directory, so nothing under /etc or /var is used.

use std::path::Path;

use crate::tls::CertificateFiles;

pub struct NginxSettings<'a> {
    /// nginx's prefix: the config, pid file, error log and temp directories live here.
    pub prefix: &'a Path,
    pub port: u16,
    /// The response body, the same bytes our server answers with.
    pub body: &'a str,
    /// Connections the worker must be able to hold at once.
    pub connections: u64,
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<&'a CertificateFiles>,
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
    let listen = match settings.tls {
        None => format!("listen 127.0.0.1:{port};"),
        Some(files) => format!(
            "listen 127.0.0.1:{port} ssl http2;\n        \
             ssl_certificate {};\n        \
             ssl_certificate_key {};\n        \
             ssl_protocols TLSv1.2 TLSv1.3;\n        \
             ssl_session_cache off;\n        \
             ssl_session_tickets off;",
            files.cert.display(),
            files.key.display()
        ),
    };
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
    # Never close a benchmark connection: wrk and h2load reuse each one for the whole
    # run (keepalive_requests also bounds the requests of an HTTP/2 connection).
    keepalive_timeout 300s;
    keepalive_requests 1000000000;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;

    server {{
        {listen}
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
            tls: None,
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
        assert!(
            !config.contains("ssl"),
            "plain HTTP with TLS settings:\n{config}"
        );
    }

    #[test]
    fn with_tls_every_connection_is_a_full_handshake() {
        let files = CertificateFiles {
            cert: "/run/here/ecdsa.crt".into(),
            key: "/run/here/ecdsa.key".into(),
        };
        let config = render(&NginxSettings {
            prefix: Path::new("/run/here"),
            port: 8443,
            body: "hi\n",
            connections: 1024,
            tls: Some(&files),
        });
        for line in [
            "listen 127.0.0.1:8443 ssl http2;",
            "ssl_certificate /run/here/ecdsa.crt;",
            "ssl_certificate_key /run/here/ecdsa.key;",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "ssl_session_cache off;",
            "ssl_session_tickets off;",
        ] {
            assert!(config.contains(line), "missing {line:?} in:\n{config}");
        }
    }
}
