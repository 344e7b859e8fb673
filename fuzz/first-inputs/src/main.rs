//! Writes the first inputs of both fuzz targets from the conformance corpus:
//! `<dir>/request_head_parser/` gets every case's bytes, and
//! `<dir>/chunked_body_decoder/` the body of every chunked case (what follows
//! its head). Usage: `http-echo-fuzz-first-inputs <dir>`.

use std::path::Path;
use std::process::ExitCode;

#[path = "../../../tests/it/corpus.rs"]
#[allow(dead_code)]
mod corpus;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: http-echo-fuzz-first-inputs <corpus dir>");
        return ExitCode::from(2);
    };
    match write_first_inputs(Path::new(&dir)) {
        Ok((heads, bodies)) => {
            println!("wrote {heads} head inputs and {bodies} chunked-body inputs");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("writing the first inputs: {error}");
            ExitCode::FAILURE
        }
    }
}

fn write_first_inputs(dir: &Path) -> std::io::Result<(usize, usize)> {
    let heads = dir.join("request_head_parser");
    let bodies = dir.join("chunked_body_decoder");
    std::fs::create_dir_all(&heads)?;
    std::fs::create_dir_all(&bodies)?;
    let mut body_count = 0;
    for (i, case) in corpus::HTTP1.iter().enumerate() {
        std::fs::write(heads.join(format!("corpus-{i:03}")), case.sent)?;
        if let Some(body) = chunked_body(case.sent) {
            std::fs::write(bodies.join(format!("corpus-{i:03}")), body)?;
            body_count += 1;
        }
    }
    Ok((corpus::HTTP1.len(), body_count))
}

/// What follows the head of a request that declares `Transfer-Encoding: chunked`.
fn chunked_body(request: &[u8]) -> Option<&[u8]> {
    let end = request.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
    head.contains("transfer-encoding: chunked")
        .then(|| &request[end..])
}
