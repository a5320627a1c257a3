//! Redis's time per command (`INFO commandstats`), diffed over a window, and what its script
//! count says about who else used the shared Redis meanwhile.
use serde::Serialize;
use std::collections::BTreeMap;

/// Per command (`evalsha`, `xadd`, ...): calls and µs spent, as `INFO commandstats` counts them.
#[derive(Debug, Clone, Default)]
pub struct CommandStats(BTreeMap<String, (u64, u64)>);

/// One command's share of a window.
#[derive(Debug, Clone, Serialize)]
pub struct CommandCost {
    pub command: String,
    pub calls: u64,
    pub usec: u64,
}

impl CommandStats {
    /// From `INFO commandstats`: `cmdstat_<name>:calls=<n>,usec=<n>,...` lines.
    pub(super) fn parse(info: &str) -> Self {
        Self(
            info.lines()
                .filter_map(|line| {
                    let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                    let stat = |key: &str| {
                        stats
                            .split(',')
                            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
                            .parse::<u64>()
                            .ok()
                    };
                    Some((name.to_owned(), (stat("calls")?, stat("usec")?)))
                })
                .collect(),
        )
    }

    /// Adds another server's counts, a cluster node's.
    pub(super) fn add(&mut self, other: CommandStats) {
        for (command, (calls, usec)) in other.0 {
            let total = self.0.entry(command).or_default();
            total.0 += calls;
            total.1 += usec;
        }
    }

    /// What each command cost since `earlier`, the costliest first.
    pub fn since(&self, earlier: &CommandStats) -> Vec<CommandCost> {
        let mut costs: Vec<CommandCost> = self
            .0
            .iter()
            .filter_map(|(command, &(calls, usec))| {
                let (calls0, usec0) = earlier.0.get(command).copied().unwrap_or_default();
                (calls > calls0).then(|| CommandCost {
                    command: command.clone(),
                    calls: calls - calls0,
                    usec: usec.saturating_sub(usec0),
                })
            })
            .collect();
        costs.sort_by_key(|cost| std::cmp::Reverse(cost.usec));
        costs
    }
}

/// Scripts (`EVALSHA`) Redis ran: one per order attempt that reached it, whoever sent it.
pub fn scripts(costs: &[CommandCost]) -> u64 {
    costs
        .iter()
        .find(|c| c.command == "evalsha")
        .map_or(0, |c| c.calls)
}

/// Whether Redis ran more scripts than the bench's `requests` could have caused: another
/// client's orders on the shared Redis, whose cost is then in the bench's Redis figures. A few
/// beyond are the server's own (the sold-out recheck).
pub fn shared_with_others(scripts: u64, requests: u64) -> bool {
    scripts.saturating_sub(requests) > 50 + requests / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_costs_are_the_difference_costliest_first() {
        let stats = |evalsha: (u64, u64), xadd: (u64, u64)| {
            CommandStats(BTreeMap::from([
                ("evalsha".to_owned(), evalsha),
                ("xadd".to_owned(), xadd),
                ("get".to_owned(), (7, 70)),
            ]))
        };
        let costs = stats((1_100, 20_000), (600, 2_100)).since(&stats((100, 2_000), (100, 100)));
        let seen: Vec<(&str, u64, u64)> = costs
            .iter()
            .map(|c| (c.command.as_str(), c.calls, c.usec))
            .collect();
        assert_eq!(seen, [("evalsha", 1_000, 18_000), ("xadd", 500, 2_000)]);
    }

    #[test]
    fn the_nodes_counts_add_up() {
        let mut stats = CommandStats::parse("cmdstat_evalsha:calls=10,usec=185\r\n");
        stats.add(CommandStats::parse(
            "cmdstat_evalsha:calls=5,usec=15\r\ncmdstat_xadd:calls=2,usec=4\r\n",
        ));
        let costs = stats.since(&CommandStats::default());
        let seen: Vec<(&str, u64, u64)> = costs
            .iter()
            .map(|c| (c.command.as_str(), c.calls, c.usec))
            .collect();
        assert_eq!(seen, [("evalsha", 15, 200), ("xadd", 2, 4)]);
    }

    #[test]
    fn command_stats_are_read_from_info() {
        let info = "# Commandstats\r\ncmdstat_evalsha:calls=10,usec=185,usec_per_call=18.50,\
                    rejected_calls=0,failed_calls=0\r\ncmdstat_client|setname:calls=2,usec=3,\
                    usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n";
        let costs = CommandStats::parse(info).since(&CommandStats::default());
        let seen: Vec<(&str, u64, u64)> = costs
            .iter()
            .map(|c| (c.command.as_str(), c.calls, c.usec))
            .collect();
        assert_eq!(seen, [("evalsha", 10, 185), ("client|setname", 2, 3)]);
    }

    #[test]
    fn scripts_beyond_the_requests_and_a_margin_mean_another_client() {
        assert!(!shared_with_others(10_000, 10_000));
        assert!(!shared_with_others(10_140, 10_000));
        assert!(shared_with_others(18_000, 10_000));
        assert!(shared_with_others(51, 0));
        assert!(!shared_with_others(0, 0));
    }
}
