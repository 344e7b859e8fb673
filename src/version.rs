//! Version strings: the `X-App-Version` header and `-version` output.

/// The version sent in `X-App-Version` and printed by `-version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The application name sent in `X-App-Name`, as upstream does.
pub const NAME: &str = "http-echo";

/// Short git commit the binary was built from (`unknown` outside a checkout).
pub const GIT_COMMIT: &str = env!("HTTP_ECHO_GIT_COMMIT");

/// Build time as Unix seconds (`SOURCE_DATE_EPOCH` when reproducible builds set it).
const BUILD_EPOCH: &str = env!("HTTP_ECHO_BUILD_EPOCH");

/// The two lines `-version` prints: `http-echo v1.0.0 (abc123)` and `Built: <RFC 3339 UTC>`.
pub fn version_text() -> String {
    let built = BUILD_EPOCH
        .parse::<u64>()
        .map(crate::clock::rfc3339_utc_seconds)
        .unwrap_or_else(|_| BUILD_EPOCH.to_owned());
    format!("{NAME} v{VERSION} ({GIT_COMMIT})\nBuilt: {built}\n")
}
