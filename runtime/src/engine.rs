//! The one place that configures wasmtime.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Config, Enabled, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::component_limits::ComponentLimits;
use crate::deadline::Deadlines;
use crate::error::Error;
use crate::limits::Limits;
use crate::swap::Swap;

/// How often the epoch advances. Each tick a running guest yields to the
/// executor (so one slow guest cannot starve others on the same thread) and
/// expired deadlines fire, so this is also the resolution of timeouts.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// Every how many ticks (10 s) the ticker checks that swap is still off
/// where slots are reset with the dirty-page scan ([`dirty_page_scan`]).
const SWAP_CHECK_TICKS: u32 = 2_000;

/// A wasmtime engine with the epoch ticker that serves it.
#[derive(Clone)]
pub(crate) struct Engine {
    pub(crate) wasmtime: wasmtime::Engine,
    pub(crate) deadlines: Arc<Deadlines>,
}

impl Engine {
    /// Builds the engine for these limits and starts its ticker thread,
    /// which ends when the last clone of the engine is dropped.
    ///
    /// The pool holds, per slot, what the largest component `component`
    /// admits may need, so a call that has a slot never finds the pool
    /// exhausted, and no component can take more than one slot's share.
    pub(crate) fn new(limits: &Limits, component: &ComponentLimits) -> Result<Self, Error> {
        // Spare instances wait in slots of their own, so calls always
        // have `concurrency` slots.
        let instances = limits.concurrency.saturating_add(limits.spare_instances);
        let scan = dirty_page_scan(Swap::of_this_process());
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(component.core_instances))
            .total_memories(instances.saturating_mul(component.memories))
            .total_tables(instances.saturating_mul(component.tables))
            .max_core_instances_per_component(component.core_instances)
            .max_memories_per_component(component.memories)
            .max_tables_per_component(component.tables)
            .total_stacks(instances)
            .max_memory_size(limits.memory)
            // Without it every call page-faults its memory back in and two
            // threads do not scale (measured: 18 µs of a 40 µs call;
            // shared/research/wasmtime-spike.md).
            .linear_memory_keep_resident(limits.keep_resident)
            .table_keep_resident(limits.keep_resident)
            .pagemap_scan(scan);

        let mut config = compile_config();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let wasmtime =
            wasmtime::Engine::new(&config).map_err(|err| Error::Engine(format!("{err:#}")))?;

        let deadlines = Arc::new(Deadlines::default());
        let engine = wasmtime.weak();
        let ticked = Arc::clone(&deadlines);
        std::thread::Builder::new()
            .name("algobox-epoch".to_owned())
            .spawn(move || {
                // Swap turned on after the engine was built is not kept
                // from the scan's slots: the ticker looks now and then, and
                // says so once.
                let mut watch_swap = scan == Enabled::Auto;
                let mut ticks: u32 = 0;
                while let Some(engine) = engine.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    ticked.fire_expired(Instant::now());
                    ticks = ticks.wrapping_add(1);
                    if watch_swap
                        && ticks.is_multiple_of(SWAP_CHECK_TICKS)
                        && Swap::of_this_process() != Swap::Unavailable
                    {
                        tracing::error!(
                            "swap was turned on after algobox started, and guest memory is still \
                             reset with the dirty-page scan, which leaves a swapped-out page of \
                             one call for the next: restart algobox (it then resets without the \
                             scan), or deny this service swap (memory.swap.max = 0)"
                        );
                        watch_swap = false;
                    }
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|err| Error::Engine(format!("cannot start the epoch ticker: {err}")))?;
        Ok(Self {
            wasmtime,
            deadlines,
        })
    }
}

/// Whether slots are reset by scanning for the pages a guest wrote
/// (`PAGEMAP_SCAN`, Linux 6.7+), given whether this process can be swapped.
///
/// The scan resets only the pages a guest touched, so a slot keeps
/// resident what its last guest used, not the whole keep-resident size:
/// without it, 1,000 concurrent instances of `hello` held 1.3 GiB, and
/// each reset copies the first [`Limits::keep_resident`] bytes back. But
/// it skips a written page that was swapped out, which then carries one
/// call's data into the next ([`crate::swap`]): where swap is possible,
/// slots are reset without it.
fn dirty_page_scan(swap: Swap) -> Enabled {
    match swap {
        Swap::Unavailable => Enabled::Auto,
        Swap::Possible { devices } => {
            // At `info`: `algobox serve` shows it at start, and a one-shot
            // `algobox run` (one call, no next instance) stays quiet.
            tracing::info!(
                swap_areas = devices,
                "swap is on, so guest memory is reset without the dirty-page scan, which would \
                 leave a swapped-out page of one call for the next: calls of large guests cost \
                 more; deny this service swap (cgroup v2 memory.swap.max = 0, systemd \
                 MemorySwapMax=0) or turn swap off, then restart, to get the scan back"
            );
            Enabled::No
        }
    }
}

/// A short fingerprint of what compiled code must match to load on
/// `engine` (wasmtime's version and the settings that shape code): compiled
/// code is kept and shared under it, so code for another engine is never
/// even offered.
pub(crate) fn fingerprint(engine: &wasmtime::Engine) -> u64 {
    // `DefaultHasher::new` is SipHash with fixed keys: the same binary
    // gives the same fingerprint in every process, which is all the cache
    // folder and a cluster's nodes need (wasmtime still checks each
    // artifact's header).
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// The settings that shape compiled code, shared by the serving engine and
/// the compile worker's, so code compiled by either runs on the other.
fn compile_config() -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        // Deadlines and fair scheduling come from epochs: fuel would
        // count instructions, not time, and cost twice as much.
        .epoch_interruption(true)
        // Deep recursion must end in a stack-overflow trap, well inside
        // the fiber stack an async call runs on.
        .max_wasm_stack(1 << 20)
        .async_stack_size(2 << 20);
    config
}

/// The compile worker's engine: the serving engine's code settings, with
/// on-demand allocation (no pool reserving address space, so the worker's
/// memory cap applies to the compiler alone) and one compiling thread (one
/// compile takes one core, leaving the others to calls).
pub(crate) fn worker_config() -> Config {
    let mut config = compile_config();
    config
        .allocation_strategy(InstanceAllocationStrategy::OnDemand)
        .parallel_compilation(false);
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reset_without_the_scan_where_swap_is_possible() {
        assert_eq!(dirty_page_scan(Swap::Unavailable), Enabled::Auto);
        assert_eq!(dirty_page_scan(Swap::Possible { devices: 1 }), Enabled::No);
    }

    #[test]
    fn the_compile_workers_code_runs_on_the_serving_engine() {
        let serving = Engine::new(
            &Limits {
                concurrency: 4,
                ..Limits::default()
            },
            &ComponentLimits::default(),
        )
        .unwrap();
        let worker = wasmtime::Engine::new(&worker_config()).unwrap();
        assert_eq!(
            fingerprint(&serving.wasmtime),
            fingerprint(&worker),
            "code compiled by the worker would be refused by the server"
        );
    }
}
