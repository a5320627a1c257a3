//! CPU time the kernel charged a process, from `/proc/<pid>/stat`: its own (utime + stime, all
//! its threads) and that of its children it has reaped (cutime + cstime).
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    pub parent: u32,
    /// µs.
    pub own: u64,
    /// µs, of the children it has waited for.
    pub children: u64,
}

/// `None` when there is no such process (any more), or it is not ours to read.
pub fn read(pid: u32) -> Option<Times> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

pub fn read_self() -> Option<Times> {
    parse(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// The process's command name (`comm`), to tell a pid that some server reported apart from an
/// unrelated local process with the same number (the server in another pid namespace).
pub fn command(pid: u32) -> Option<String> {
    Some(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()?
            .trim()
            .to_owned(),
    )
}

/// Every live process whose parent is `parent`, with its times.
pub fn children(parent: u32) -> Vec<Times> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read)
        .filter(|times| times.parent == parent)
        .collect()
}

/// One clock tick, the granularity of every figure here, in µs.
pub fn tick_us() -> u64 {
    static TICK: OnceLock<u64> = OnceLock::new();
    *TICK.get_or_init(|| {
        // SAFETY: sysconf only reads a configuration value.
        let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        1_000_000 / u64::try_from(ticks_per_second).unwrap_or(100).max(1)
    })
}

fn parse(stat: &str) -> Option<Times> {
    // The command name, in parentheses, may itself hold spaces and parentheses: the fields
    // that follow start after the last `)`, with the state (field 3) first.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let tick = tick_us();
    Some(Times {
        parent: u32::try_from(field(4)?).ok()?,
        own: (field(14)? + field(15)?) * tick,
        children: (field(16)? + field(17)?) * tick,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 7 42 42 0 -1 4194560 100 0 0 0 3 5 11 13 20 0 4 0 1 2 3";
        let tick = tick_us();
        assert_eq!(
            parse(stat),
            Some(Times {
                parent: 7,
                own: 8 * tick,
                children: 24 * tick
            })
        );
    }

    /// The kernel's CPU clock for this process, in µs: another reading of the same account.
    fn process_cpu_clock_us() -> u64 {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec it is given.
        assert_eq!(
            unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) },
            0
        );
        now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000
    }

    #[test]
    fn this_process_s_time_agrees_with_its_cpu_clock_to_a_few_ticks() {
        let (stat_before, clock_before) = (read_self().unwrap(), process_cpu_clock_us());
        let mut x = 0u64;
        while process_cpu_clock_us() - clock_before < 300_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let (stat_after, clock_after) = (read_self().unwrap(), process_cpu_clock_us());
        let by_stat = (stat_after.own - stat_before.own) as i64;
        let by_clock = (clock_after - clock_before) as i64;
        assert!(
            (by_stat - by_clock).abs() <= 3 * tick_us() as i64,
            "/proc/self/stat: {by_stat} µs, CPU clock: {by_clock} µs"
        );
        assert_eq!(stat_after.parent, std::os::unix::process::parent_id());
    }
}
