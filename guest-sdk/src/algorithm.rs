//! The lifecycle form: an [`Algorithm`] type, exported with
//! [`export_algorithm!`](crate::export_algorithm).

use algobox_host_api::AlgoError;

use crate::bindings::algobox::algorithm::types;
use crate::{Context, FromInput, IntoOutput, error_code, instance, panic_hook};

/// An algorithm with the full Hkube lifecycle: load once, then initialize
/// with the input, start with a [`Context`], and clean up on stop.
///
/// The host calls `initialize` then `start` once each on a fresh instance,
/// and `stop` only after a stop was requested, once `start` returned.
pub trait Algorithm: Sized + 'static {
    /// What the algorithm takes: see [`FromInput`].
    type Input: FromInput;
    /// What the algorithm returns: see [`IntoOutput`].
    type Output: IntoOutput;

    /// Loads models or tables; runs once per instance, before the first
    /// `initialize`. A failure is reported with code
    /// [`LoadingError`](error_code::LOADING_ERROR).
    fn load() -> Result<Self, AlgoError>;

    /// Receives the decoded input; keep what `start` needs in `self`.
    fn initialize(&mut self, input: Self::Input) -> Result<(), AlgoError>;

    /// Does the work. Poll [`Context::stop_requested`] (or
    /// [`Context::check_stop`]) in long loops.
    fn start(&mut self, ctx: &mut Context) -> Result<Self::Output, AlgoError>;

    /// Cleans up after a stop request, once `start` returned. Does nothing
    /// unless overridden.
    fn stop(&mut self) {}
}

/// Exports a type implementing [`Algorithm`](crate::Algorithm) as the
/// algorithm. Use it once per crate.
///
/// ```ignore
/// algobox_guest_sdk::export_algorithm!(Countdown);
/// ```
#[macro_export]
macro_rules! export_algorithm {
    ($algorithm:ty) => {
        // Inside a const block so the lint attribute covers the generated
        // `#[unsafe(export_name)]` functions and nothing of the user's.
        #[allow(unsafe_code, reason = "wit-bindgen exports are `#[unsafe(export_name)]`")]
        const _: () = {
            struct __AlgoboxAlgorithm;

            impl $crate::bindings::exports::algobox::algorithm::lifecycle::Guest
                for __AlgoboxAlgorithm
            {
                fn initialize(
                    input: ::std::vec::Vec<$crate::bindings::algobox::algorithm::types::Payload>,
                ) -> ::std::result::Result<(), $crate::bindings::algobox::algorithm::types::AlgoError>
                {
                    $crate::__private::algorithm_initialize::<$algorithm>(input)
                }

                fn start() -> ::std::result::Result<
                    $crate::bindings::algobox::algorithm::types::Payload,
                    $crate::bindings::algobox::algorithm::types::AlgoError,
                > {
                    $crate::__private::algorithm_start::<$algorithm>()
                }

                fn stop() {
                    $crate::__private::algorithm_stop::<$algorithm>()
                }
            }

            $crate::bindings::export!(__AlgoboxAlgorithm with_types_in $crate::bindings);
        };
    };
}

/// `initialize` of the lifecycle form: loads the algorithm on first use,
/// then hands it the decoded input.
#[doc(hidden)]
pub fn algorithm_initialize<A: Algorithm>(
    input: Vec<types::Payload>,
) -> Result<(), types::AlgoError> {
    panic_hook::install();
    let mut algorithm = match instance::take::<A>() {
        Some(algorithm) => algorithm,
        None => A::load().map_err(loading_error)?,
    };
    let result = A::Input::from_inputs(instance::inputs(input))
        .and_then(|input| algorithm.initialize(input));
    // Loaded state survives a bad input: loading is the expensive part.
    instance::put(algorithm);
    Ok(result?)
}

/// `start` of the lifecycle form.
#[doc(hidden)]
pub fn algorithm_start<A: Algorithm>() -> Result<types::Payload, types::AlgoError> {
    panic_hook::install();
    let mut algorithm = instance::take::<A>().ok_or_else(instance::not_initialized)?;
    let result = algorithm.start(&mut Context::new());
    instance::put(algorithm);
    Ok(result?.into_output()?.into())
}

/// `stop` of the lifecycle form: runs the hook if the algorithm was loaded.
#[doc(hidden)]
pub fn algorithm_stop<A: Algorithm>() {
    panic_hook::install();
    if let Some(mut algorithm) = instance::take::<A>() {
        algorithm.stop();
        instance::put(algorithm);
    }
}

/// A load failure as the host reports it: code `LoadingError`, the cause's
/// message kept.
fn loading_error(error: AlgoError) -> AlgoError {
    let details = match error.details {
        Some(details) => format!("{}: {}\n{details}", error.code, error.message),
        None => format!("{}: {}", error.code, error.message),
    };
    AlgoError::new(format!(
        "loading the algorithm failed: {}; check what `load` needs (files, models, configuration)",
        error.message
    ))
    .with_code(error_code::LOADING_ERROR)
    .with_details(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_failures_become_loading_errors_that_keep_the_cause() {
        let err = loading_error(AlgoError::new("model file missing"));
        assert_eq!(err.code, "LoadingError");
        assert!(
            err.message.contains("model file missing"),
            "{}",
            err.message
        );
        assert_eq!(
            err.details.as_deref(),
            Some("AlgorithmError: model file missing")
        );
    }
}
