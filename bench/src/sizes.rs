//! Sizes on disk: the server binary once stripped of symbols, and the container image
//! if one has been built here.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Result;

/// Size in bytes of `binary` after `strip` (a copy is stripped; the original stays).
pub fn stripped_size(binary: &Path, work_dir: &Path) -> Result<u64> {
    let name = binary
        .file_name()
        .map_or("binary".into(), |name| name.to_string_lossy());
    let copy = work_dir.join(format!("{name}.stripped"));
    let output = Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(binary)
        .output()
        .map_err(|e| format!("running strip (from binutils): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "strip {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let size = fs::metadata(&copy)
        .map_err(|e| format!("reading {}: {e}", copy.display()))?
        .len();
    let _ = fs::remove_file(&copy);
    Ok(size)
}

/// Size in bytes of the local image `tag`, as `docker image inspect` reports it; None
/// when there is no Docker, no daemon answers, or no such image was built.
pub fn image_size(tag: &str) -> Option<u64> {
    let mut child = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", tag])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // A daemon that does not answer must not stall the benchmark.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().ok()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}
