//! Name lookups (`wasi:sockets/ip-name-lookup`) under the egress policy.
//!
//! wasmtime-wasi grants lookups by an on/off switch. Here a lookup answers
//! only when the policy permits the name with every address it resolved
//! to, the rule outbound HTTP follows: otherwise the guest reads
//! `access-denied`, as it does for every lookup under `isolated`. So a
//! guest cannot map this host's or the metadata service's names, and what
//! a lookup returns is what a connection may reach.
//!
//! The resolving itself is wasmtime-wasi's (the same parsing of address
//! literals and international names, the same background task the guest's
//! pollable waits on); this side holds each stream's answer back until it
//! has all the addresses and has checked them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::SocketError;
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{
    Host, HostResolveAddressStream, ResolveAddressStream,
};
use wasmtime_wasi::p2::bindings::sockets::network::{
    self as network, ErrorCode, IpAddress, Network,
};
use wasmtime_wasi::sockets::WasiSocketsCtxView;

use crate::egress::EgressPolicy;
use crate::network::NetworkAccess;

/// The name lookups of one invocation: whether it may look names up, the
/// policy their answers must pass, and the answers of its open streams.
pub(crate) struct NameLookups {
    network: NetworkAccess,
    egress: Arc<EgressPolicy>,
    /// By the stream's handle in the resource table.
    streams: HashMap<u32, Answer>,
}

/// Where one lookup stands.
enum Answer {
    /// Resolving `name`: nothing is returned until every address is in.
    Pending(String),
    /// The permitted addresses not yet returned.
    Permitted(std::vec::IntoIter<IpAddr>),
    /// The policy refused the name or one of its addresses.
    Denied,
}

impl NameLookups {
    /// The lookups of an invocation granted `network`, checked against
    /// `egress`.
    pub(crate) fn new(network: NetworkAccess, egress: Arc<EgressPolicy>) -> Self {
        Self {
            network,
            egress,
            streams: HashMap::new(),
        }
    }
}

/// What the lookup imports see of the store: wasmtime-wasi's sockets,
/// which resolve, and the lookups, which decide what the guest gets.
pub(crate) struct NameLookupView<'a> {
    pub(crate) sockets: WasiSocketsCtxView<'a>,
    pub(crate) lookups: &'a mut NameLookups,
}

/// The lookup interface's supertrait: how its errors reach the guest,
/// wasmtime-wasi's way.
impl network::Host for NameLookupView<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        self.sockets.convert_error_code(error)
    }

    fn network_error_code(
        &mut self,
        err: Resource<network::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        self.sockets.network_error_code(err)
    }
}

/// Also a supertrait: the `network` resource's destructor, which the
/// lookup interface never calls (the guest's `network` belongs to
/// wasmtime-wasi's own `wasi:sockets/network`).
impl network::HostNetwork for NameLookupView<'_> {
    fn drop(&mut self, network: Resource<Network>) -> wasmtime::Result<()> {
        network::HostNetwork::drop(&mut self.sockets, network)
    }
}

impl Host for NameLookupView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> Result<Resource<ResolveAddressStream>, SocketError> {
        if self.lookups.network != NetworkAccess::Full {
            return Err(ErrorCode::AccessDenied.into());
        }
        let stream = self.sockets.resolve_addresses(network, name.clone())?;
        self.lookups
            .streams
            .insert(stream.rep(), Answer::Pending(name));
        Ok(stream)
    }
}

impl HostResolveAddressStream for NameLookupView<'_> {
    fn resolve_next_address(
        &mut self,
        stream: Resource<ResolveAddressStream>,
    ) -> Result<Option<IpAddress>, SocketError> {
        let rep = stream.rep();
        if let Some(Answer::Pending(name)) = self.lookups.streams.get(&rep) {
            let name = name.clone();
            // `would-block` until the resolution is done, or its error;
            // once one address is in, all of them are.
            let mut addresses = Vec::new();
            while let Some(address) = self
                .sockets
                .resolve_next_address(Resource::new_borrow(rep))?
            {
                addresses.push(ip_addr(address));
            }
            // No address is nothing to deny: the guest reads the end.
            let permitted =
                addresses.is_empty() || self.lookups.egress.permits_host(&name, &addresses);
            let answer = match permitted {
                true => Answer::Permitted(addresses.into_iter()),
                false => Answer::Denied,
            };
            self.lookups.streams.insert(rep, answer);
        }
        match self.lookups.streams.get_mut(&rep) {
            Some(Answer::Permitted(addresses)) => Ok(addresses.next().map(IpAddress::from)),
            Some(Answer::Denied) => Err(ErrorCode::AccessDenied.into()),
            // Not a stream `resolve_addresses` made: wasmtime-wasi reports
            // the bad handle.
            Some(Answer::Pending(_)) | None => self.sockets.resolve_next_address(stream),
        }
    }

    fn subscribe(
        &mut self,
        stream: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.sockets.subscribe(stream)
    }

    fn drop(&mut self, stream: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        self.lookups.streams.remove(&stream.rep());
        HostResolveAddressStream::drop(&mut self.sockets, stream)
    }
}

/// The WIT form of an address as the standard library's.
fn ip_addr(address: IpAddress) -> IpAddr {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
        }
    }
}
