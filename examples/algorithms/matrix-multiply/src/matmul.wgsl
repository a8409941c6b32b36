// C (m×n) = A (m×k) × B (k×n), row-major f32 arrays, in 16×16 tiles staged
// through workgroup memory: each input value is read from the storage
// buffer k/16 times instead of k times. Dispatch ceil(n/16) × ceil(m/16)
// workgroups. The benchmark (runtime/benches/gpu.rs) runs this same file
// natively.

struct Dims {
    m: u32,
    k: u32,
    n: u32,
    unused: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE: u32 = 16u;

var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_b: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    var sum = 0.0;
    let tiles = (dims.k + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t++) {
        let ak = t * TILE + lid.x;
        let bk = t * TILE + lid.y;
        var av = 0.0;
        if row < dims.m && ak < dims.k {
            av = a[row * dims.k + ak];
        }
        var bv = 0.0;
        if bk < dims.k && col < dims.n {
            bv = b[bk * dims.n + col];
        }
        tile_a[lid.y][lid.x] = av;
        tile_b[lid.y][lid.x] = bv;
        workgroupBarrier();
        for (var i = 0u; i < TILE; i++) {
            sum += tile_a[lid.y][i] * tile_b[i][lid.x];
        }
        workgroupBarrier();
    }
    if row < dims.m && col < dims.n {
        c[row * dims.n + col] = sum;
    }
}
