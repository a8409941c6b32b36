//! A C project: a plain WASI program, stdin to stdout, built by clang.

/// The project's files, as (path, contents).
pub(super) fn files(name: &str) -> Vec<(String, String)> {
    vec![
        (
            "main.c".to_owned(),
            format!(
                r#"// {name}: an algobox algorithm as a plain WASI program.
//
// The input arrives on stdin (text as UTF-8, JSON as its text, bytes as
// they are); stdout is the result; a non-zero exit is an AlgorithmError
// whose message is the end of stderr.

#include <stdio.h>
#include <stdlib.h>

int main(void) {{
    char buffer[4096];
    size_t length = fread(buffer, 1, sizeof buffer, stdin);
    if (ferror(stdin)) {{
        fprintf(stderr, "{name}: cannot read stdin\n");
        return 1;
    }}
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r')) {{
        length--;
    }}
    printf("Hello %.*s", (int)length, buffer);
    return 0;
}}
"#
            ),
        ),
        (
            "README.md".to_owned(),
            format!(
                r#"# {name}

An algobox algorithm in C: a plain WASI program (stdin in, stdout out).

Set up once (Debian): `apt-get install clang lld wasi-libc
libclang-rt-14-dev-wasm32`, or a wasi-sdk with `WASI_SYSROOT` set to its
sysroot.

```sh
algobox build            # clang --target=wasm32-wasi --sysroot=/usr -O2 -o {name}.wasm main.c
algobox run {name}.wasm -d "$(cat input.txt)"
```
"#
            ),
        ),
        ("input.txt".to_owned(), "world\n".to_owned()),
        (".gitignore".to_owned(), "*.wasm\n".to_owned()),
    ]
}
