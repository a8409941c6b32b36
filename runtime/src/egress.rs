//! Where algorithms with `network_access: full` may connect.

pub mod cidr;
pub mod host_pattern;
mod interface_addresses;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs as _};
use std::str::FromStr;

use wasmtime_wasi::sockets::SocketAddrUse;

use self::cidr::{Cidr, canonical};
use self::host_pattern::HostPattern;

/// The operator's egress policy: addresses and host names a
/// `full`-network algorithm may not reach (deny wins), and, when the allow
/// list is not empty, the only ones it may. `isolated` algorithms reach
/// nothing whatever the policy.
///
/// Host names are matched by name on every outbound HTTP request. Sockets
/// see only addresses, so [`resolve_hosts`](Self::resolve_hosts) adds the
/// addresses of the exact names (not `*.` domains) to the lists; a server
/// calls it at start.
///
/// The default denies this host (loopback, and the addresses of its own
/// interfaces, such as its LAN address, read when the policy is built) and
/// link-local addresses (169.254.0.0/16 and fe80::/10), where cloud
/// metadata services answer, unless an allow entry names them; operators
/// add private ranges as their network requires.
///
/// # Example
///
/// ```
/// use algobox_runtime::egress::{EgressPolicy, EgressRule};
///
/// let mut policy = EgressPolicy::default();
/// policy.deny("10.0.0.0/8".parse::<EgressRule>().unwrap());
/// policy.deny("*.internal".parse::<EgressRule>().unwrap());
/// assert!(!policy.permits_host("metadata.google.internal", &["93.184.216.34".parse().unwrap()]));
/// assert!(!policy.permits("10.1.2.3".parse().unwrap()));
/// assert!(!policy.permits("169.254.169.254".parse().unwrap()));
/// assert!(policy.permits("93.184.216.34".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressPolicy {
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
    /// Denied unless an allow entry names them: this host (loopback and its
    /// interfaces' addresses) and the cloud metadata services.
    builtin_deny: Vec<Cidr>,
    allow_hosts: Vec<HostPattern>,
    deny_hosts: Vec<HostPattern>,
}

impl Default for EgressPolicy {
    /// The built-in denials, with this host's interface addresses read now.
    fn default() -> Self {
        Self::denying_this_host(&interface_addresses::interface_addresses())
    }
}

impl EgressPolicy {
    /// The default's built-in denials, with `own` as this host's interface
    /// addresses: each is denied as a single address unless a range already
    /// denies it (loopback, link-local), so that a `/8` allow entry for
    /// loopback, which lifts the loopback denial, keeps working.
    fn denying_this_host(own: &[IpAddr]) -> Self {
        let mut builtin_deny = vec![
            // This host: a guest with `full` network access must not
            // reach a database or admin port listening on loopback.
            Cidr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
            Cidr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
            // Link-local, where cloud metadata answers.
            Cidr::new(IpAddr::V4(Ipv4Addr::new(169, 254, 0, 0)), 16),
            Cidr::new(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10),
            // AWS's instance metadata service over IPv6.
            Cidr::new(
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
                128,
            ),
        ];
        // The same host by another name: a service listening on all
        // interfaces answers on the LAN address as it does on loopback.
        for ip in own.iter().copied().map(canonical) {
            if !ip.is_unspecified() && !builtin_deny.iter().any(|denied| denied.contains(ip)) {
                builtin_deny.push(Cidr::single(ip));
            }
        }
        Self {
            builtin_deny,
            ..Self::permit_all()
        }
    }

    /// A policy that permits every address (no default denials).
    pub fn permit_all() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            builtin_deny: Vec::new(),
            allow_hosts: Vec::new(),
            deny_hosts: Vec::new(),
        }
    }

    /// Adds a range or host name to the allow list; once it is not empty,
    /// only what it allows is reachable. An entry also lifts the built-in
    /// denial of what it names (loopback, link-local), which is how tests
    /// and operators reach a service on this host on purpose.
    pub fn allow(&mut self, rule: impl Into<EgressRule>) -> &mut Self {
        match rule.into() {
            EgressRule::Range(range) => self.allow.push(range),
            EgressRule::Host(host) => self.allow_hosts.push(host),
        }
        self
    }

    /// Adds a range or host name to the deny list, which wins over the
    /// allow list.
    pub fn deny(&mut self, rule: impl Into<EgressRule>) -> &mut Self {
        match rule.into() {
            EgressRule::Range(range) => self.deny.push(range),
            EgressRule::Host(host) => self.deny_hosts.push(host),
        }
        self
    }

    /// Looks up the exact host names of both lists and adds their addresses
    /// as single-address ranges, so sockets, which see only addresses, obey
    /// them too. It blocks on DNS; a name that does not resolve adds
    /// nothing (HTTP requests are still matched by name).
    pub fn resolve_hosts(&mut self) {
        let addresses = |hosts: &[HostPattern]| -> Vec<Cidr> {
            hosts
                .iter()
                .filter_map(HostPattern::exact_name)
                .filter_map(|name| (name, 0).to_socket_addrs().ok())
                .flatten()
                .map(|address| Cidr::single(address.ip()))
                .collect()
        };
        let (allow, deny) = (addresses(&self.allow_hosts), addresses(&self.deny_hosts));
        self.allow.extend(allow);
        self.deny.extend(deny);
    }

    /// Whether a connection to `ip` is permitted. The unspecified
    /// addresses (`0.0.0.0`, `::`) reach this host when connected to, so
    /// they are never a destination; loopback and link-local addresses are
    /// denied unless an allow entry names them; the deny list wins over
    /// everything.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        !ip.is_unspecified() && !self.denies(ip) && !self.denied_builtin(ip) && self.allows(ip)
    }

    /// Whether a guest granted the network may use a socket address this
    /// way: outbound traffic by the policy; on this host, binding to
    /// loopback, or to any interface on an ephemeral port (the implicit bind
    /// before a connect), and never listening or accepting: an algorithm is
    /// called, it does not serve, and a port it opened would reach past its
    /// sandbox to whoever can connect to the host.
    pub fn permits_socket(&self, address: SocketAddr, usage: SocketAddrUse) -> bool {
        let ip = canonical(address.ip());
        match usage {
            SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend => self.permits(ip),
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
                ip.is_loopback() || (ip.is_unspecified() && address.port() == 0)
            }
            SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => false,
            // The datagram's sender: answers to what the guest sent.
            SocketAddrUse::UdpReceive => ip.is_loopback() || self.permits(ip),
        }
    }

    /// Whether a request to `host`, which resolved to `addresses`, is
    /// permitted, and so whether a guest's lookup of `host` may return
    /// them: the name must not be denied, no address may be denied, and
    /// with an allow list, the name must be allowed or every address.
    pub fn permits_host(&self, host: &str, addresses: &[IpAddr]) -> bool {
        if addresses.is_empty()
            || self.deny_hosts.iter().any(|denied| denied.matches(host))
            || addresses
                .iter()
                .any(|ip| canonical(*ip).is_unspecified() || self.denies(*ip))
        {
            return false;
        }
        match self
            .allow_hosts
            .iter()
            .find(|allowed| allowed.matches(host))
        {
            // The operator named this host: its addresses are wanted, even
            // on loopback.
            Some(allowed) if allowed.exact_name().is_some() => true,
            // A wildcard may cover a name whose owner points it at this host
            // or at the metadata service: those stay denied.
            Some(_) => addresses.iter().all(|ip| !self.denied_builtin(*ip)),
            None => addresses.iter().all(|ip| self.permits(*ip)),
        }
    }

    fn denies(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.deny.iter().any(|range| range.contains(ip))
    }

    /// Whether a built-in denial covers `ip` and no allow entry lifts it.
    /// Only an entry at least as narrow as the denial lifts it:
    /// `127.0.0.1/32` reaches loopback, `0.0.0.0/0` ("anywhere") does not.
    fn denied_builtin(&self, ip: IpAddr) -> bool {
        self.builtin_deny.iter().any(|denied| {
            denied.contains(ip)
                && !self
                    .allow
                    .iter()
                    .any(|allowed| allowed.contains(ip) && allowed.prefix() >= denied.prefix())
        })
    }

    /// Whether the allow list admits `ip` (deny aside).
    fn allows(&self, ip: IpAddr) -> bool {
        let unrestricted = self.allow.is_empty() && self.allow_hosts.is_empty();
        let ip = canonical(ip);
        unrestricted || self.allow.iter().any(|range| range.contains(ip))
    }
}

/// One entry of an allow or deny list: an address range or a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressRule {
    /// `10.0.0.0/8`, `fd00::/8`, `192.168.1.5`.
    Range(Cidr),
    /// `metadata.google.internal`, `*.internal`.
    Host(HostPattern),
}

impl From<Cidr> for EgressRule {
    fn from(range: Cidr) -> Self {
        Self::Range(range)
    }
}

impl From<HostPattern> for EgressRule {
    fn from(host: HostPattern) -> Self {
        Self::Host(host)
    }
}

/// The text is neither an address range nor a host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is neither an address range nor a host name; write 10.0.0.0/8, 192.168.1.5, metadata.internal or *.internal"
)]
pub struct ParseEgressRuleError(String);

impl FromStr for EgressRule {
    type Err = ParseEgressRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Anything that starts like an address is one, or an error: a typo
        // in `10.0.0.0/8` must not become a host name that matches nothing.
        let looks_like_address = text.contains('/')
            || text.contains(':')
            || text.chars().all(|c| c.is_ascii_digit() || c == '.');
        if looks_like_address {
            return text
                .parse()
                .map(Self::Range)
                .map_err(|_| ParseEgressRuleError(text.to_owned()));
        }
        text.parse()
            .map(Self::Host)
            .map_err(|_| ParseEgressRuleError(text.to_owned()))
    }
}

impl fmt::Display for EgressRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Range(range) => range.fmt(f),
            Self::Host(host) => host.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn this_host_is_never_a_destination_and_imds_v6_is_denied() {
        let policy = EgressPolicy::default();
        for here in ["0.0.0.0", "::", "::ffff:0.0.0.0"] {
            assert!(!policy.permits(ip(here)), "{here}");
        }
        assert!(!policy.permits(ip("fd00:ec2::254")));
        assert!(policy.permits(ip("fd00:ec2::253")));
        assert!(policy.permits(ip("93.184.216.34")));
    }

    #[test]
    fn guests_bind_on_loopback_only_and_never_listen() {
        let policy = EgressPolicy::default();
        let at = |text: &str| -> SocketAddr { text.parse().unwrap() };
        // The implicit bind before a connect, and loopback binds.
        assert!(policy.permits_socket(at("0.0.0.0:0"), SocketAddrUse::TcpBind));
        assert!(policy.permits_socket(at("[::]:0"), SocketAddrUse::UdpBind));
        assert!(policy.permits_socket(at("127.0.0.1:8080"), SocketAddrUse::TcpBind));
        // No server, not even on loopback.
        assert!(!policy.permits_socket(at("127.0.0.1:8080"), SocketAddrUse::TcpListen));
        assert!(!policy.permits_socket(at("127.0.0.1:8080"), SocketAddrUse::TcpAccept));
        // No port on the host's interfaces.
        assert!(!policy.permits_socket(at("0.0.0.0:8080"), SocketAddrUse::TcpBind));
        assert!(!policy.permits_socket(at("0.0.0.0:41234"), SocketAddrUse::TcpListen));
        assert!(!policy.permits_socket(at("[::]:53"), SocketAddrUse::UdpBind));
        // Outbound: the policy; replies from where the guest may send.
        assert!(!policy.permits_socket(at("0.0.0.0:80"), SocketAddrUse::TcpConnect));
        assert!(!policy.permits_socket(at("169.254.169.254:80"), SocketAddrUse::UdpSend));
        assert!(policy.permits_socket(at("93.184.216.34:53"), SocketAddrUse::UdpReceive));
        assert!(!policy.permits_socket(at("169.254.169.254:53"), SocketAddrUse::UdpReceive));
    }

    #[test]
    fn this_host_and_metadata_are_denied_until_an_entry_names_them() {
        let mut policy = EgressPolicy::default();
        for here in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
            "169.254.169.254",
        ] {
            assert!(!policy.permits(ip(here)), "{here}");
        }
        // "Anywhere" is not a reason to reach this host or the metadata.
        policy.allow("0.0.0.0/0".parse::<Cidr>().unwrap());
        assert!(!policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("169.254.169.254")));
        assert!(policy.permits(ip("93.184.216.34")));
        // An entry as narrow as the denial lifts it, for what it names.
        policy.allow("127.0.0.1/32".parse::<Cidr>().unwrap());
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("127.0.0.2")));
        // Host names: an exact allowed name is wanted wherever it points, a
        // wildcard is not.
        let mut named = EgressPolicy::default();
        named.allow("localhost".parse::<EgressRule>().unwrap());
        named.allow("*.example.com".parse::<EgressRule>().unwrap());
        assert!(named.permits_host("localhost", &[ip("127.0.0.1")]));
        assert!(!named.permits_host("rebound.example.com", &[ip("127.0.0.1")]));
        assert!(named.permits_host("www.example.com", &[ip("93.184.216.34")]));
        assert!(!EgressPolicy::default().permits_host("example.com", &[ip("::1")]));
    }

    #[test]
    fn this_hosts_own_addresses_are_denied_until_an_entry_names_them() {
        let lan = ip("192.168.1.20");
        let own = [
            ip("127.0.0.1"),
            lan,
            ip("2001:db8::20"),
            ip("fe80::1"),
            ip("::"),
        ];
        let mut policy = EgressPolicy::denying_this_host(&own);
        // Loopback and link-local are denied by their ranges already: only
        // the LAN addresses are added.
        assert_eq!(
            policy.builtin_deny.len(),
            EgressPolicy::denying_this_host(&[]).builtin_deny.len() + 2
        );
        assert!(!policy.permits(lan));
        assert!(!policy.permits(ip("::ffff:192.168.1.20")));
        assert!(!policy.permits(ip("2001:db8::20")));
        assert!(
            policy.permits(ip("192.168.1.21")),
            "a neighbour is not this host"
        );
        assert!(!policy.permits_host("files.lan", &[lan]));
        // The loopback range still lifts loopback's denial.
        policy.allow("127.0.0.0/8".parse::<Cidr>().unwrap());
        assert!(policy.permits(ip("127.0.0.1")));
        // "The LAN" is not a reason to reach this host; naming its address is.
        policy.allow("192.168.0.0/16".parse::<Cidr>().unwrap());
        assert!(!policy.permits(lan));
        assert!(policy.permits(ip("192.168.1.21")));
        policy.allow("192.168.1.20".parse::<Cidr>().unwrap());
        assert!(policy.permits(lan));
        // So is naming the host exactly.
        let mut named = EgressPolicy::denying_this_host(&own);
        named.allow("box.example".parse::<EgressRule>().unwrap());
        assert!(named.permits_host("box.example", &[lan]));
        assert!(!named.permits_host("rebound.example", &[lan]));
    }

    #[test]
    fn deny_wins_and_allow_restricts() {
        let mut policy = EgressPolicy::default();
        assert!(!policy.permits(ip("169.254.169.254")));
        assert!(!policy.permits(ip("::ffff:169.254.169.254")));
        policy.allow("127.0.0.0/8".parse::<Cidr>().unwrap());
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("8.8.8.8")));
        policy.deny("127.0.0.1".parse::<Cidr>().unwrap());
        assert!(!policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("127.0.0.2")));
    }

    #[test]
    fn host_names_are_matched_by_name_and_by_address() {
        let mut policy = EgressPolicy::default();
        policy.deny("*.internal".parse::<EgressRule>().unwrap());
        policy.deny("localhost".parse::<EgressRule>().unwrap());
        let public = [ip("93.184.216.34")];
        assert!(!policy.permits_host("metadata.google.internal", &public));
        assert!(policy.permits_host("example.com", &public));
        assert!(!policy.permits_host("example.com", &[]));
        policy.allow("127.0.0.0/8".parse::<EgressRule>().unwrap());
        assert!(policy.permits(ip("127.0.0.1")));
        policy.resolve_hosts();
        assert!(
            !policy.permits(ip("127.0.0.1")),
            "localhost's address is denied"
        );

        let mut only = EgressPolicy::permit_all();
        only.allow("api.example.com".parse::<EgressRule>().unwrap());
        only.deny("10.0.0.0/8".parse::<EgressRule>().unwrap());
        assert!(only.permits_host("API.example.com", &public));
        assert!(!only.permits_host("other.example.com", &public));
        assert!(
            !only.permits_host("api.example.com", &[ip("10.0.0.1")]),
            "deny wins"
        );
        assert!(
            !only.permits(ip("93.184.216.34")),
            "sockets need an allowed address"
        );

        assert!(matches!("10.0.0.0/8".parse(), Ok(EgressRule::Range(_))));
        assert!(matches!(
            "Metadata.Internal".parse(),
            Ok(EgressRule::Host(_))
        ));
        for bad in ["10.0.0.0/33", "10.0.0", "fd00::/200", "a b", ""] {
            assert!(bad.parse::<EgressRule>().is_err(), "{bad}");
        }
    }
}
