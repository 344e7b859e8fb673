//! Embeds the git commit and build time for `http-echo -version`.
//!
//! Both can be given from outside (container builds have no `.git`): `HTTP_ECHO_GIT_COMMIT`
//! and `SOURCE_DATE_EPOCH` (the reproducible-builds convention). Otherwise the commit comes
//! from `git` and the time from the clock.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-env-changed=HTTP_ECHO_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // A new commit moves the branch ref (loose, or packed), not HEAD itself. Ask git
    // where they are: in a linked worktree `.git` is a file, and HEAD and the refs
    // live in two different directories. A path that does not exist would make
    // cargo rerun this script, and so rebuild the crate, on every build.
    if let (Some(git_dir), Some(common_dir)) = (
        git(&["rev-parse", "--absolute-git-dir"]),
        git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]),
    ) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={common_dir}/refs/heads");
        let packed = format!("{common_dir}/packed-refs");
        if std::path::Path::new(&packed).exists() {
            println!("cargo:rerun-if-changed={packed}");
        }
    }

    let commit = std::env::var("HTTP_ECHO_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    let built = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=HTTP_ECHO_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=HTTP_ECHO_BUILD_EPOCH={built}");
}

/// What `git <args>` prints, trimmed; `None` outside a repository or without git.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
