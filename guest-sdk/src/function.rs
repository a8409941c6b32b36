//! The simple form: one function from input to output,
//! exported with [`export_function!`](crate::export_function).

use algobox_host_api::AlgoError;

use crate::bindings::algobox::algorithm::types;
use crate::{FromInput, IntoOutput, instance, panic_hook};

/// Exports `fn(I) -> Result<O, E>` as the algorithm, where `I:`
/// [`FromInput`](crate::FromInput), `O:` [`IntoOutput`](crate::IntoOutput)
/// and `E: Into<`[`AlgoError`](crate::AlgoError)`>`.
///
/// The input is decoded in `initialize`, so a malformed input fails before
/// any work starts; the function runs in `start`. Use it once per crate.
///
/// ```ignore
/// fn apply(name: String) -> Result<String, algobox_guest_sdk::AlgoError> {
///     Ok(format!("Hello {name}"))
/// }
/// algobox_guest_sdk::export_function!(apply);
/// ```
#[macro_export]
macro_rules! export_function {
    ($function:path) => {
        // Inside a const block so the lint attribute covers the generated
        // `#[unsafe(export_name)]` functions and nothing of the user's.
        #[allow(unsafe_code, reason = "wit-bindgen exports are `#[unsafe(export_name)]`")]
        const _: () = {
            struct __AlgoboxFunction;

            impl $crate::bindings::exports::algobox::algorithm::lifecycle::Guest
                for __AlgoboxFunction
            {
                fn initialize(
                    input: ::std::vec::Vec<$crate::bindings::algobox::algorithm::types::Payload>,
                ) -> ::std::result::Result<(), $crate::bindings::algobox::algorithm::types::AlgoError>
                {
                    $crate::__private::function_initialize($function, input)
                }

                fn start() -> ::std::result::Result<
                    $crate::bindings::algobox::algorithm::types::Payload,
                    $crate::bindings::algobox::algorithm::types::AlgoError,
                > {
                    $crate::__private::function_start($function)
                }

                fn stop() {
                    $crate::__private::function_stop()
                }
            }

            $crate::bindings::export!(__AlgoboxFunction with_types_in $crate::bindings);
        };
    };
}

/// `initialize` of the simple form: decodes and keeps the input. The
/// function is passed only so its input type can be inferred.
#[doc(hidden)]
pub fn function_initialize<F, I, O, E>(
    _function: F,
    input: Vec<types::Payload>,
) -> Result<(), types::AlgoError>
where
    F: FnOnce(I) -> Result<O, E>,
    I: FromInput,
{
    panic_hook::install();
    let input = I::from_inputs(instance::inputs(input))?;
    instance::put(input);
    Ok(())
}

/// `start` of the simple form: calls the function on the kept input.
#[doc(hidden)]
pub fn function_start<F, I, O, E>(function: F) -> Result<types::Payload, types::AlgoError>
where
    F: FnOnce(I) -> Result<O, E>,
    I: FromInput,
    O: IntoOutput,
    E: Into<AlgoError>,
{
    panic_hook::install();
    let input = instance::take::<I>().ok_or_else(instance::not_initialized)?;
    let output = function(input).map_err(Into::into)?;
    Ok(output.into_output()?.into())
}

/// `stop` of the simple form: the function has already returned, so there
/// is nothing to clean up.
#[doc(hidden)]
pub fn function_stop() {
    panic_hook::install();
}
