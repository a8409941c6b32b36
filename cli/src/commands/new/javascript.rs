//! A JavaScript project: `app.js` with the function form, and the
//! JavaScript SDK vendored under `sdk/` (with its lock file), built by its
//! `bin/build.mjs` with componentize-js.

/// The JavaScript SDK's files, as in `guest-sdk/javascript`.
const SDK: &[(&str, &str)] = &[
    (
        "package.json",
        include_str!("../../../../guest-sdk/javascript/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../../../guest-sdk/javascript/package-lock.json"),
    ),
    (
        "bin/build.mjs",
        include_str!("../../../../guest-sdk/javascript/bin/build.mjs"),
    ),
    (
        "src/context.js",
        include_str!("../../../../guest-sdk/javascript/src/context.js"),
    ),
    (
        "src/data.js",
        include_str!("../../../../guest-sdk/javascript/src/data.js"),
    ),
    (
        "src/errors.js",
        include_str!("../../../../guest-sdk/javascript/src/errors.js"),
    ),
    (
        "src/export.js",
        include_str!("../../../../guest-sdk/javascript/src/export.js"),
    ),
    (
        "src/index.js",
        include_str!("../../../../guest-sdk/javascript/src/index.js"),
    ),
    (
        "src/payload.js",
        include_str!("../../../../guest-sdk/javascript/src/payload.js"),
    ),
    (
        "src/pipeline.js",
        include_str!("../../../../guest-sdk/javascript/src/pipeline.js"),
    ),
];

/// The project's files besides the WIT, as (path, contents).
pub(super) fn files(name: &str) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "app.js".to_owned(),
            format!(
                r#"// {name}: an algobox algorithm in JavaScript.
//
// `input` picks how the input is decoded ('text', 'bytes', 'json', 'any');
// the return value is the result. For state loaded once (at build time),
// progress and stops, use `exportAlgorithm` with a class (`load`,
// `initialize`, `start`, `stop`).

import {{ exportFunction }} from '@algobox/guest-sdk';

export const lifecycle = exportFunction((name) => `Hello ${{name}}`, {{ input: 'text' }});
"#
            ),
        ),
        (
            "README.md".to_owned(),
            format!(
                r#"# {name}

An algobox algorithm in JavaScript, with the JavaScript SDK vendored in
`sdk/` (componentize-js pinned by `sdk/package-lock.json`) and the WIT
contract in `wit/`.

Set up once: Node.js 20 and npm (`algobox build` runs `npm ci` in `sdk/`
the first time).

```sh
algobox build            # node sdk/bin/build.mjs app.js --wit wit -o {name}.wasm
algobox run {name}.wasm -d "$(cat input.txt)"
```
"#
            ),
        ),
        ("input.txt".to_owned(), "world\n".to_owned()),
        (
            ".gitignore".to_owned(),
            "*.wasm\nnode_modules/\n".to_owned(),
        ),
    ];
    files.extend(
        SDK.iter()
            .map(|(file, contents)| (format!("sdk/{file}"), (*contents).to_owned())),
    );
    files
}
