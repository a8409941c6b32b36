//! This host's own addresses, which a guest must not reach any more than
//! loopback.

use std::net::IpAddr;

/// The addresses of this host's network interfaces (loopback, its LAN
/// address, any other). When they cannot be read there are none to add:
/// loopback and link-local stay denied by their ranges, and a warning says
/// what is missing.
pub(super) fn interface_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces.iter().map(if_addrs::Interface::ip).collect(),
        Err(err) => {
            tracing::warn!(
                "this host's interface addresses could not be read ({err}); \
                 only loopback and link-local are denied as this host"
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_among_this_hosts_addresses() {
        let addresses = interface_addresses();
        assert!(addresses.iter().any(IpAddr::is_loopback), "{addresses:?}");
    }
}
