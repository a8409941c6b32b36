//! Whether the kernel may swap this process's memory out, which decides how
//! the engine resets a pool slot between instances ([`crate::engine`]).
//!
//! Wasmtime 48's dirty-page scan (`PAGEMAP_SCAN`) resets the pages it
//! finds present and written, and leaves the rest of what it scanned as it
//! is. A page a guest wrote that the kernel swapped out before the instance
//! ended is written but not present: it is neither reset nor decommitted,
//! and the next instance in that slot (another caller's call of the same
//! algorithm) reads what the last one left there. Checked on Linux 6.18
//! with a core module that fills 32 pages, `MADV_PAGEOUT` on them as
//! memory pressure would do, and a fresh instance in the same slot: it
//! read the old bytes with the scan, zeros without it (upstream:
//! bytecodealliance/wasmtime#14357, open). So where swap is possible the
//! engine resets slots without the scan.

use std::path::Path;

/// Whether this process's memory may be swapped out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swap {
    /// No swap is active, or this process's cgroup may use none.
    Unavailable,
    /// Swap is active (`devices` of it) and nothing keeps this process out.
    Possible {
        /// Active swap areas, from `/proc/swaps`.
        devices: usize,
    },
}

impl Swap {
    /// Reads what the host says now: the active swap areas in
    /// `/proc/swaps`, and `memory.swap.max` of this process's cgroup (v2)
    /// and of each cgroup above it, where `0` denies it swap.
    ///
    /// Swap turned on later is not seen: the README tells operators to
    /// restart the server after `swapon`. Where `/proc/swaps` cannot be
    /// read, the kernel has no swap support (or no `/proc`, and then no
    /// dirty-page scan either).
    pub(crate) fn of_this_process() -> Self {
        let swaps = std::fs::read_to_string("/proc/swaps").ok();
        let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        Self::from_host(swaps.as_deref(), &cgroups, |cgroup| {
            let dir = Path::new("/sys/fs/cgroup").join(cgroup.trim_start_matches('/'));
            std::fs::read_to_string(dir.join("memory.swap.max")).ok()
        })
    }

    /// The decision from the files' contents: `swaps` is `/proc/swaps`,
    /// `cgroups` is `/proc/self/cgroup`, and `swap_max` reads a cgroup
    /// v2 group's `memory.swap.max` by its path.
    fn from_host(
        swaps: Option<&str>,
        cgroups: &str,
        swap_max: impl Fn(&str) -> Option<String>,
    ) -> Self {
        // A header line, then one line per active swap area.
        let devices = swaps.map_or(0, |swaps| {
            swaps
                .lines()
                .skip(1)
                .filter(|line| !line.trim().is_empty())
                .count()
        });
        if devices == 0 {
            return Self::Unavailable;
        }
        // cgroup v2 is the line `0::/path`. A v1 hierarchy's swap settings
        // (memsw limits, swappiness) do not reliably keep pages out of
        // global reclaim, so they are not trusted.
        let denied = cgroups
            .lines()
            .find_map(|line| line.strip_prefix("0::"))
            .is_some_and(|path| {
                ancestors(path.trim())
                    .any(|group| swap_max(group).is_some_and(|max| max.trim() == "0"))
            });
        if denied {
            Self::Unavailable
        } else {
            Self::Possible { devices }
        }
    }
}

/// `/a/b` and the groups above it: `/a/b`, `/a`, `/`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let path = path.trim_end_matches('/');
    std::iter::successors(Some(path), |group| {
        (!group.is_empty()).then(|| group.rsplit_once('/').map_or("", |(above, _)| above))
    })
    .map(|group| if group.is_empty() { "/" } else { group })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
    const ONE_AREA: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
        /swapfile                               file\t\t1048572\t\t0\t\t-2\n";

    fn no_limits(_: &str) -> Option<String> {
        Some("max\n".to_owned())
    }

    #[test]
    fn no_active_swap_area_means_no_swap() {
        assert_eq!(
            Swap::from_host(Some(HEADER), "0::/\n", no_limits),
            Swap::Unavailable
        );
        // A kernel without swap support has no /proc/swaps.
        assert_eq!(
            Swap::from_host(None, "0::/\n", no_limits),
            Swap::Unavailable
        );
    }

    #[test]
    fn an_active_swap_area_makes_swap_possible() {
        assert_eq!(
            Swap::from_host(
                Some(ONE_AREA),
                "0::/system.slice/algobox.service\n",
                no_limits
            ),
            Swap::Possible { devices: 1 }
        );
        let two = format!("{ONE_AREA}/dev/zram0 partition\t4194300\t0\t100\n");
        assert_eq!(
            Swap::from_host(Some(&two), "0::/\n", no_limits),
            Swap::Possible { devices: 2 }
        );
    }

    #[test]
    fn a_cgroup_denied_swap_at_any_level_keeps_the_process_out() {
        let service_denied = |group: &str| {
            Some(
                if group == "/system.slice" {
                    "0\n"
                } else {
                    "max\n"
                }
                .to_owned(),
            )
        };
        assert_eq!(
            Swap::from_host(
                Some(ONE_AREA),
                "0::/system.slice/algobox.service\n",
                service_denied
            ),
            Swap::Unavailable
        );
        // A container's own root (a cgroup namespace) counts too.
        let root_denied = |group: &str| Some(if group == "/" { "0" } else { "max" }.to_owned());
        assert_eq!(
            Swap::from_host(Some(ONE_AREA), "0::/\n", root_denied),
            Swap::Unavailable
        );
        // A limit above zero still lets pages out.
        let limited = |_: &str| Some("1073741824\n".to_owned());
        assert_eq!(
            Swap::from_host(Some(ONE_AREA), "0::/a\n", limited),
            Swap::Possible { devices: 1 }
        );
    }

    #[test]
    fn cgroup_v1_settings_are_not_trusted() {
        let v1 = "4:memory:/process_api/68326322\n1:cpu:/\n";
        let everything_zero = |_: &str| Some("0".to_owned());
        assert_eq!(
            Swap::from_host(Some(ONE_AREA), v1, everything_zero),
            Swap::Possible { devices: 1 }
        );
    }

    #[test]
    fn ancestors_walk_up_to_the_root() {
        assert_eq!(
            ancestors("/a/b/c").collect::<Vec<_>>(),
            ["/a/b/c", "/a/b", "/a", "/"]
        );
        assert_eq!(ancestors("/").collect::<Vec<_>>(), ["/"]);
    }
}
