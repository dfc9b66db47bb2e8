//! Who is asking: the client's IP address for rate limits.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{extract::ConnectInfo, http::HeaderMap};

/// The client IP. Behind `trusted_hops` proxies of our own, each appends the address it saw to
/// `X-Forwarded-For`, so the client is the `trusted_hops`-th entry from the right: the right-most
/// one no proxy of ours could have been handed by the client. Anything left of it is whatever
/// the client sent. With no trusted proxy (or a short header) it is the socket's peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trusted_hops: u32,
) -> IpAddr {
    let from_socket = peer
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if trusted_hops == 0 {
        return from_socket;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let hops = trusted_hops as usize;
    if entries.len() < hops {
        return from_socket;
    }
    entries[entries.len() - hops].parse().unwrap_or(from_socket)
}

/// The client IP of the request a server function is answering.
pub async fn request_ip(trusted_hops: u32) -> IpAddr {
    let headers = leptos::prelude::use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok();
    client_ip(&headers, peer.as_ref(), trusted_hops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_entry() {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 2], 4000)));
        // The client forged "6.6.6.6"; our one proxy appended the address it saw.
        let h = with_xff(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(
            client_ip(&h, Some(&peer), 1),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Two proxies (CDN then load balancer), header split over two lines.
        let h = with_xff(&["6.6.6.6, 198.51.100.4", "172.16.0.9"]);
        assert_eq!(
            client_ip(&h, Some(&peer), 2),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
        // No trusted proxy: the header is ignored.
        assert_eq!(client_ip(&h, Some(&peer), 0), peer.0.ip());
        // Fewer entries than proxies, or garbage: the socket.
        assert_eq!(
            client_ip(&with_xff(&["1.2.3.4"]), Some(&peer), 2),
            peer.0.ip()
        );
        assert_eq!(
            client_ip(&with_xff(&["nonsense"]), Some(&peer), 1),
            peer.0.ip()
        );
    }
}
