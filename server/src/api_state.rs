//! What every handler may reach: the platform, and the URL the API is
//! reached at for absolute links.

use algobox_platform::Platform;
use axum::extract::FromRef;

use crate::public_url::PublicUrl;

/// The router's state. Handlers take the part they need
/// (`State<Platform>`, `State<PublicUrl>`) through [`FromRef`].
#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) platform: Platform,
    pub(crate) public_url: PublicUrl,
}

impl FromRef<ApiState> for Platform {
    fn from_ref(state: &ApiState) -> Self {
        state.platform.clone()
    }
}

impl FromRef<ApiState> for PublicUrl {
    fn from_ref(state: &ApiState) -> Self {
        state.public_url.clone()
    }
}
