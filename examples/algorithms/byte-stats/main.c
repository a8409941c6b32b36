/*
 * byte-stats: statistics of the bytes on stdin, as one JSON object on stdout.
 *
 * A plain WASI program in C, the kind algobox runs without an SDK: it reads
 * its input on stdin and writes its result on stdout. Build it with
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -o byte_stats.wasm main.c
 *
 * (the sysroot of Debian's `wasi-libc`; a wasi-sdk sysroot works the same)
 * and upload the `.wasm`: algobox makes it a component at upload.
 *
 * Output, for the input "aab":
 *   {"bytes":3,"distinct":2,"most_common":{"byte":97,"count":2},
 *    "longest_run":{"byte":97,"length":2},"entropy_bits":0.918296,
 *    "adler32":38404389}
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* Adler-32's modulus: the largest prime below 2^16. */
#define ADLER_MOD 65521u

int main(void) {
    static unsigned char buffer[1 << 16];
    uint64_t histogram[256] = {0};
    uint64_t total = 0;
    uint32_t adler_a = 1, adler_b = 0;
    int run_byte = -1, longest_byte = -1;
    uint64_t run_length = 0, longest_length = 0;

    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        for (size_t i = 0; i < got; i++) {
            unsigned char byte = buffer[i];
            histogram[byte]++;
            adler_a = (adler_a + byte) % ADLER_MOD;
            adler_b = (adler_b + adler_a) % ADLER_MOD;
            run_length = byte == run_byte ? run_length + 1 : 1;
            run_byte = byte;
            /* Strictly longer: the first of equally long runs wins. */
            if (run_length > longest_length) {
                longest_length = run_length;
                longest_byte = byte;
            }
        }
        total += got;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "byte-stats: cannot read stdin\n");
        return 2;
    }

    int distinct = 0, most_common = -1;
    double entropy = 0.0;
    for (int byte = 0; byte < 256; byte++) {
        uint64_t count = histogram[byte];
        if (count == 0) {
            continue;
        }
        distinct++;
        if (most_common < 0 || count > histogram[most_common]) {
            most_common = byte;
        }
        double p = (double)count / (double)total;
        entropy -= p * log2(p);
    }

    printf("{\"bytes\":%llu,\"distinct\":%d,", (unsigned long long)total, distinct);
    if (total == 0) {
        printf("\"most_common\":null,\"longest_run\":null,");
    } else {
        printf("\"most_common\":{\"byte\":%d,\"count\":%llu},", most_common,
               (unsigned long long)histogram[most_common]);
        printf("\"longest_run\":{\"byte\":%d,\"length\":%llu},", longest_byte,
               (unsigned long long)longest_length);
    }
    printf("\"entropy_bits\":%.6f,\"adler32\":%u}\n", entropy,
           (unsigned)((adler_b << 16) | adler_a));
    return 0;
}
