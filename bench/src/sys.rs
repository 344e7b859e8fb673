//! The few operating-system calls the harness needs that std does not offer: CPU
//! affinity (what `taskset -c N` does, but without an extra exec in front of the
//! server, which would add to its measured start-up time), the open-file limit,
//! signals, the child CPU time of the load generator, and the clock tick that /proc
//! counts CPU time in.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// The CPUs this process may run on.
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit set; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer and size describe `set`, which outlives the call.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the size of the set.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

fn single_cpu_set(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: all zeroes is the empty set; `cpu` is checked against CPU_SETSIZE by callers
    // through allowed_cpus(), and CPU_SET ignores out-of-range values anyway.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    }
}

/// Pins the calling process (all threads started after this) to one CPU. Call it
/// before starting threads: affinity is per thread and inherited by new ones.
pub fn pin_this_process(cpu: usize) -> io::Result<()> {
    let set = single_cpu_set(cpu);
    // SAFETY: the pointer and size describe `set`, which outlives the call.
    let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes `command` run pinned to one CPU from its first instruction.
pub fn pin_on_exec(command: &mut Command, cpu: usize) {
    let set = single_cpu_set(cpu);
    // SAFETY: the closure runs between fork and exec, where only async-signal-safe
    // calls are allowed; sched_setaffinity is a plain system call, and the closure
    // neither allocates nor takes locks.
    unsafe {
        command.pre_exec(move || {
            if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Raises the soft open-file limit (inherited by the servers this process starts) to
/// at least `needed`, raising the hard limit too when allowed (root).
/// Fails when the limit cannot be raised that far.
pub fn raise_open_file_limit(needed: u64) -> Result<u64, String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit the call fills in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!(
            "getrlimit(RLIMIT_NOFILE): {}",
            io::Error::last_os_error()
        ));
    }
    if limit.rlim_cur >= needed {
        return Ok(limit.rlim_cur);
    }
    let wanted = libc::rlimit {
        rlim_cur: needed.max(limit.rlim_cur),
        rlim_max: needed.max(limit.rlim_max),
    };
    // SAFETY: `wanted` is a valid rlimit that outlives the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } != 0 {
        return Err(format!(
            "need {needed} open files for the idle-connection test, but the limit is {} \
             (hard {}) and cannot be raised: {} (lower --idle-connections or raise `ulimit -Hn`)",
            limit.rlim_cur,
            limit.rlim_max,
            io::Error::last_os_error()
        ));
    }
    Ok(wanted.rlim_cur)
}

/// Sends `signal` to process `pid`. A process that is already gone is not an error.
pub fn signal(pid: i32, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// CPU time (user + system) of all children this process has waited for so far.
/// The difference around one load-generator run is that run's CPU time.
pub fn reaped_children_cpu_time() -> Duration {
    // SAFETY: all zeroes is a valid rusage, which the call fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid rusage that outlives the call.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let micros = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// How many clock ticks per second the utime/stime fields of /proc/<pid>/stat count.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}
