// The smallest useful kernel: one invocation adds one to a counter. Run
// many times, it measures what a dispatch costs beyond the work.

@group(0) @binding(0) var<storage, read_write> counter: array<u32>;

@compute @workgroup_size(1)
fn main() {
    counter[0] = counter[0] + 1u;
}
