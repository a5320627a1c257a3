//! The servers behind a Redis target, each reached directly: the one server, or every node of a
//! cluster as `CLUSTER NODES` lists it. `INFO` describes only the server that answers it, so the
//! bench asks each node and adds up their processes' CPU, memory and commands.
use flashsale::redis::{RedisServers, RedisTarget};
use redis::aio::MultiplexedConnection;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::time::Duration;

pub struct Node {
    pub conn: MultiplexedConnection,
    pub replica: bool,
}

/// One node of a `CLUSTER NODES` listing.
#[derive(Debug, PartialEq, Eq)]
struct Listed {
    host: String,
    port: u16,
    replica: bool,
}

pub async fn discover(target: &RedisTarget, timeout: Duration) -> anyhow::Result<Vec<Node>> {
    let seeds = match &target.servers {
        RedisServers::Single(url) => {
            let conn = connect(url.as_str().into_connection_info()?, timeout).await?;
            return Ok(vec![Node {
                conn,
                replica: false,
            }]);
        }
        RedisServers::Cluster(seeds) => seeds,
    };
    let mut failures = Vec::new();
    for seed in seeds {
        // Every node is reached with the seed's credentials and settings, at its own address.
        let info = seed.as_str().into_connection_info()?;
        let listing = match connect(info.clone(), timeout).await {
            Ok(mut conn) => {
                redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query_async(&mut conn)
                    .await
            }
            Err(error) => Err(error),
        };
        let listing: String = match listing {
            Ok(listing) => listing,
            Err(error) => {
                failures.push(format!("{seed}: {error}"));
                continue;
            }
        };
        let mut nodes = Vec::new();
        for node in parse(&listing) {
            let addr = ConnectionAddr::Tcp(node.host, node.port);
            let conn = connect(info.clone().set_addr(addr), timeout).await?;
            nodes.push(Node {
                conn,
                replica: node.replica,
            });
        }
        return Ok(nodes);
    }
    anyhow::bail!("no cluster seed answered CLUSTER NODES: {failures:?}")
}

async fn connect(
    info: ConnectionInfo,
    timeout: Duration,
) -> redis::RedisResult<MultiplexedConnection> {
    let mut conn = redis::Client::open(info)?
        .get_multiplexed_async_connection()
        .await?;
    conn.set_response_timeout(timeout);
    Ok(conn)
}

/// The masters and replicas that run: nodes marked failed, without an address or still in
/// their handshake have no process to measure.
fn parse(listing: &str) -> Vec<Listed> {
    listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.nth(1)?;
            let flags: Vec<&str> = fields.next()?.split(',').collect();
            if flags
                .iter()
                .any(|flag| ["fail", "noaddr", "handshake"].contains(flag))
            {
                return None;
            }
            let (host, port) = address.split(['@', ',']).next()?.rsplit_once(':')?;
            Some(Listed {
                host: host.to_owned(),
                port: port.parse().ok()?,
                replica: flags.contains(&"slave"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_masters_and_replicas_are_listed_with_their_addresses() {
        let listing = "\
a1 127.0.0.1:7200@17200 myself,master - 0 0 1 connected 0-5460
b2 127.0.0.1:7203@17203,host-b slave a1 0 1700 1 connected
c3 127.0.0.1:7201@17201 master,fail - 0 1700 2 disconnected
d4 :0@0 master,noaddr - 0 0 0 disconnected
";
        let listed = |host: &str, port, replica| Listed {
            host: host.into(),
            port,
            replica,
        };
        assert_eq!(
            parse(listing),
            [
                listed("127.0.0.1", 7200, false),
                listed("127.0.0.1", 7203, true)
            ]
        );
    }
}
