//! SIGTERM and SIGINT become shutdown requests.
//!
//! As PID 1 in a container the process gets no default signal handling from the
//! kernel, so without this `docker stop` would wait out its grace period and kill.

use tokio::signal::unix::{signal, SignalKind};

use crate::shutdown::{Request, ShutdownTrigger};

/// Forwards every SIGTERM and SIGINT to `trigger`. Must run inside the runtime.
pub fn forward_to(trigger: ShutdownTrigger) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            let request = tokio::select! {
                _ = terminate.recv() => Request::Terminate,
                _ = interrupt.recv() => Request::Interrupt,
            };
            trigger.send(request);
        }
    });
    Ok(())
}
