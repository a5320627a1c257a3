//! The address of the client behind the connection, for the per-IP rate limit. Behind a load
//! balancer every connection comes from the balancer, so `FLASHSALE_TRUSTED_PROXIES` names the
//! proxies whose `X-Forwarded-For` is believed; anyone else could write that header freely.
use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses or CIDR ranges (`10.0.0.0/8`, `192.0.2.7`, `::1`).
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "FLASHSALE_TRUSTED_PROXIES: {entry:?} is not an address or a CIDR range"
                        )
                    })
            })
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The connection's peer, or, when the peer is a trusted proxy, the nearest address in
    /// `X-Forwarded-For` that is not one: each proxy appends the address it saw, so entries
    /// left of the first untrusted one were written by the client and prove nothing.
    pub fn client_address(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut nearest = peer;
        for header in request.headers().get_all("X-Forwarded-For").rev() {
            let Ok(list) = header.to_str() else {
                return Some(nearest);
            };
            for hop in list.rsplit(',') {
                let Ok(address) = hop.trim().parse::<IpAddr>() else {
                    return Some(nearest);
                };
                if !self.trusts(address) {
                    return Some(address);
                }
                nearest = address;
            }
        }
        Some(nearest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        TrustedProxies::parse(&entries).unwrap()
    }

    fn client(proxies: &TrustedProxies, peer: &str, forwarded: &[&str]) -> IpAddr {
        let peer: IpAddr = peer.parse().unwrap();
        let mut request = TestRequest::default().peer_addr((peer, 4000).into());
        for value in forwarded {
            request = request.append_header(("X-Forwarded-For", *value));
        }
        proxies.client_address(&request.to_http_request()).unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(
            client(&none, "203.0.113.9", &["198.51.100.1"]).to_string(),
            "203.0.113.9"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let lb = proxies(&["10.0.0.0/8"]);
        let spoofed_then_real = ["1.1.1.1, 198.51.100.1", "10.0.0.3"];
        assert_eq!(
            client(&lb, "10.0.0.2", &spoofed_then_real).to_string(),
            "198.51.100.1"
        );
    }

    #[test]
    fn a_malformed_hop_stops_the_walk_at_the_last_trusted_address() {
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            client(&lb, "10.0.0.2", &["junk, 10.0.0.5"]).to_string(),
            "10.0.0.5"
        );
        assert_eq!(client(&lb, "10.0.0.2", &[]).to_string(), "10.0.0.2");
    }

    #[test]
    fn single_addresses_and_mapped_ipv4_are_understood() {
        let one = proxies(&["192.0.2.7"]);
        assert_eq!(
            client(&one, "::ffff:192.0.2.7", &["198.51.100.4"]).to_string(),
            "198.51.100.4"
        );
        assert!(TrustedProxies::parse(&["not-an-ip".into()]).is_err());
    }
}
