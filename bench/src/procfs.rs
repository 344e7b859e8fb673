//! Readings from /proc: the processes that make up one server (nginx is a master and
//! a worker), their CPU time and resident memory, and how busy the server's CPU was.

use std::collections::HashMap;
use std::fs;

/// The fields of /proc/<pid>/stat the harness uses.
struct Stat {
    parent: i32,
    /// utime + stime, in clock ticks: CPU time of all the process's threads, living and
    /// exited.
    cpu_ticks: u64,
}

fn read_stat(pid: i32) -> Option<Stat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parse_stat(text: &str) -> Option<Stat> {
    // The command name (field 2) is in parentheses and may itself hold spaces or
    // parentheses, so the fixed fields are counted from the last ')'.
    let after_name = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state (3), ppid (4), ... utime (14), stime (15).
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some(Stat {
        parent: field(4)? as i32,
        cpu_ticks: field(14)? + field(15)?,
    })
}

/// `root` and every process descended from it that is alive now.
pub fn process_tree(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<i32>().ok())
            else {
                continue;
            };
            if let Some(stat) = read_stat(pid) {
                children.entry(stat.parent).or_default().push(pid);
            }
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        if let Some(kids) = children.get(&tree[next]) {
            tree.extend(kids);
        }
        next += 1;
    }
    tree
}

/// Sum of utime + stime, in clock ticks, over `pids` (processes that are gone count 0).
pub fn cpu_ticks(pids: &[i32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| read_stat(pid))
        .map(|stat| stat.cpu_ticks)
        .sum()
}

/// Sum of resident set sizes (VmRSS), in bytes, over `pids`. Pages that two processes
/// share (nginx's master and worker) count once for each, as `ps` counts
/// them.
pub fn rss_bytes(pids: &[i32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| {
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .sum()
}

/// Clock ticks of one CPU since boot, from /proc/stat.
#[derive(Clone, Copy, Default)]
pub struct CpuTimes {
    /// Time running processes (user, nice, system) or taken by the hypervisor (steal).
    pub busy: u64,
    /// Interrupt and softirq time. Over loopback, most of it during a load run is the
    /// kernel delivering the benchmark's own packets, so it is kept apart from `busy`.
    pub interrupts: u64,
    pub total: u64,
}

pub fn cpu_times(cpu: usize) -> CpuTimes {
    let label = format!("cpu{cpu}");
    let Ok(text) = fs::read_to_string("/proc/stat") else {
        return CpuTimes::default();
    };
    let Some(line) = text
        .lines()
        .find(|line| line.split_whitespace().next() == Some(&label))
    else {
        return CpuTimes::default();
    };
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|value| value.parse().ok())
        .collect();
    if values.len() < 8 {
        return CpuTimes::default();
    }
    let interrupts = values[5] + values[6];
    let total: u64 = values.iter().sum();
    CpuTimes {
        busy: total - values[3] - values[4] - interrupts,
        interrupts,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_end_of_the_command_name() {
        // A name with a space and a parenthesis, as a process may choose.
        let line = "4242 (nginx: a) b) S 4241 4242 4242 0 -1 4194624 500 0 0 0 \
                    120 35 0 0 20 0 1 0 100 1000 200 18446744073709551615";
        let stat = parse_stat(line).expect("a valid stat line");
        assert_eq!(stat.parent, 4241);
        assert_eq!(stat.cpu_ticks, 155);
    }

    #[test]
    fn this_process_is_the_root_of_its_tree_and_uses_cpu() {
        let me = std::process::id() as i32;
        assert_eq!(process_tree(me)[0], me);
        assert!(rss_bytes(&[me]) > 0);
        assert!(cpu_times(0).total > 0);
    }
}
