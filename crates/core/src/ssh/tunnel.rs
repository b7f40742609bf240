//! One SSH connection per profile session, through every ProxyJump hop, with a local
//! forward per server behind it. The connection is checked before each use and reopened when
//! it dropped; forwards keep their local ports across reopenings, so pools never notice.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate, load_secret_key};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::hostkeys::{KnownHosts, Verdict, fingerprint, remember_offer};
use super::{Hop, HopAuth, TunnelState};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Checks the host key of one hop; what it decided is kept for the error the caller gives.
struct Checker {
    hop: Hop,
    keys: KnownHosts,
    accept: Option<String>,
    refusal: Arc<Mutex<Option<Error>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = offered else {
            *self.refusal.lock().expect("refusal") = Some(Error::Protocol {
                server: self.hop.label.clone(),
                message: "it offered a host certificate; the console checks plain host keys only"
                    .into(),
            });
            return Ok(false);
        };
        let offered = fingerprint(key);
        let refusal = match self.keys.check(&self.hop.host, self.hop.port, key) {
            Ok(Verdict::Known) => return Ok(true),
            Ok(Verdict::Unknown) if self.accept.as_deref() == Some(offered.as_str()) => {
                match self.keys.learn(&self.hop.host, self.hop.port, key) {
                    Ok(()) => return Ok(true),
                    Err(e) => e,
                }
            }
            Ok(Verdict::Unknown) => {
                remember_offer(&self.hop.host, self.hop.port, key, &self.keys.own);
                Error::HostKeyUnknown {
                    hop: self.hop.label.clone(),
                    fingerprint: offered,
                }
            }
            Ok(Verdict::Changed { known, file, line }) => Error::HostKeyChanged {
                hop: self.hop.label.clone(),
                offered,
                known,
                file,
                line,
            },
            Err(e) => e,
        };
        *self.refusal.lock().expect("refusal") = Some(refusal);
        Ok(false)
    }
}

/// Every hop's session, the last one being the bastion the servers are reached from.
pub(super) struct Connected {
    handles: Vec<(Hop, Handle<Checker>)>,
}

impl Connected {
    fn alive(&self) -> bool {
        self.handles.iter().all(|(_, h)| !h.is_closed())
    }

    fn bastion(&self) -> &(Hop, Handle<Checker>) {
        self.handles.last().expect("at least one hop")
    }
}

pub(super) struct Tunnel {
    pub(super) hops: Vec<Hop>,
    pub(super) secret: Option<Secret>,
    pub(super) keys: KnownHosts,
    pub(super) accept: Option<String>,
    pub(super) timeout: Duration,
    connected: tokio::sync::Mutex<Option<Arc<Connected>>>,
    /// When the last opening timed out, and on which hop: the calls that queued behind it
    /// (a profile's servers are connected at once) are told the same at once, not each
    /// after a timeout of their own.
    timed_out: Mutex<Option<(std::time::Instant, String, Option<Duration>)>>,
    forwards: tokio::sync::Mutex<HashMap<(String, u16), SocketAddr>>,
    pub(super) state: Mutex<TunnelState>,
    stop: CancellationToken,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Tunnel {
    pub(super) fn new(
        hops: Vec<Hop>,
        secret: Option<Secret>,
        keys: KnownHosts,
        accept: Option<String>,
        timeout: Duration,
    ) -> Self {
        Tunnel {
            hops,
            secret,
            keys,
            accept,
            timeout,
            connected: tokio::sync::Mutex::new(None),
            timed_out: Mutex::new(None),
            forwards: tokio::sync::Mutex::new(HashMap::new()),
            state: Mutex::new(TunnelState::NotOpened),
            stop: CancellationToken::new(),
        }
    }

    /// The open connection, or a new one when it never opened or dropped since. With
    /// `verify`, an open one must also answer a ping: a link gone dark keeps its TCP
    /// connection looking open until keepalives give up, and a server connected now would
    /// wait on it.
    pub(super) async fn session(&self, verify: bool) -> Result<Arc<Connected>> {
        let mut held = self.connected.lock().await;
        if let Some(connected) = held.as_ref()
            && connected.alive()
        {
            if !verify {
                return Ok(connected.clone());
            }
            let (_, bastion) = connected.bastion();
            if let Ok(Ok(())) = tokio::time::timeout(self.timeout, bastion.send_ping()).await {
                return Ok(connected.clone());
            }
            tracing::warn!("the SSH connection did not answer a ping in time: reopening it");
        }
        *held = None;
        if let Some((at, server, waited)) = self.timed_out.lock().expect("timed out").clone()
            && at.elapsed() < self.timeout
        {
            return Err(Error::Timeout { server, waited });
        }
        match self.open().await {
            Ok(connected) => {
                let connected = Arc::new(connected);
                *held = Some(connected.clone());
                *self.state.lock().expect("tunnel state") = TunnelState::Open {
                    since: chrono::Utc::now(),
                };
                Ok(connected)
            }
            Err(e) => {
                *self.state.lock().expect("tunnel state") = TunnelState::Down {
                    error: e.to_string(),
                };
                *self.timed_out.lock().expect("timed out") = match &e {
                    Error::Timeout { server, waited } => {
                        Some((std::time::Instant::now(), server.clone(), *waited))
                    }
                    _ => None,
                };
                Err(e)
            }
        }
    }

    async fn open(&self) -> Result<Connected> {
        let config = Arc::new(client::Config {
            nodelay: true,
            // A silent bastion is noticed within three missed keepalives, then reopened.
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            ..Default::default()
        });
        let mut handles: Vec<(Hop, Handle<Checker>)> = Vec::new();
        for hop in &self.hops {
            let refusal = Arc::new(Mutex::new(None));
            let checker = Checker {
                hop: hop.clone(),
                keys: hop.known_hosts(&self.keys),
                accept: self.accept.clone(),
                refusal: refusal.clone(),
            };
            let handshake = async {
                let result = match handles.last() {
                    None => {
                        let stream = TcpStream::connect((hop.host.as_str(), hop.port))
                            .await
                            .map_err(|e| unreachable(&hop.label, e.to_string()))?;
                        client::connect_stream(config.clone(), stream, checker).await
                    }
                    Some((previous, handle)) => {
                        let channel = handle
                            .channel_open_direct_tcpip(&hop.host, hop.port.into(), "127.0.0.1", 0)
                            .await
                            .map_err(|e| {
                                unreachable(
                                    &hop.label,
                                    format!(
                                        "unreachable from {}: {}",
                                        previous.label,
                                        channel_error(&e)
                                    ),
                                )
                            })?;
                        client::connect_stream(config.clone(), channel.into_stream(), checker).await
                    }
                };
                result.map_err(|e| {
                    refusal.lock().expect("refusal").take().unwrap_or_else(|| {
                        unreachable(&hop.label, format!("SSH handshake failed: {e}"))
                    })
                })
            };
            let mut handle = crate::net::bounded(&hop.label, self.timeout, handshake).await?;
            crate::net::bounded(
                &hop.label,
                self.timeout,
                authenticate(&mut handle, hop, self.secret.as_ref()),
            )
            .await?;
            handles.push((hop.clone(), handle));
        }
        Ok(Connected { handles })
    }

    /// The local address that leads to `host:port` as the bastion sees it. The first call
    /// for a server opens one channel to it, so a server the bastion cannot reach is named now.
    pub(super) async fn forward(
        self: &Arc<Self>,
        what: &str,
        host: &str,
        port: u16,
    ) -> Result<SocketAddr> {
        let mut forwards = self.forwards.lock().await;
        // Checked (and reopened) before every use, so a dead bastion is named here rather
        // than as a connection the driver saw closed.
        let connected = self.session(true).await?;
        if let Some(addr) = forwards.get(&(host.to_owned(), port)) {
            return Ok(*addr);
        }
        let channel = open_channel(&connected, what, host, port, self.timeout).await?;
        let _ = channel.close().await;
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::io("opening a local port for the SSH forward", e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the SSH forward's local port", e))?;
        tokio::spawn(serve(
            listener,
            Arc::downgrade(self),
            self.stop.clone(),
            what.to_owned(),
            host.to_owned(),
            port,
        ));
        forwards.insert((host.to_owned(), port), local);
        Ok(local)
    }
}

/// Accepts local connections until the tunnel is dropped; each gets its own channel.
async fn serve(
    listener: TcpListener,
    tunnel: Weak<Tunnel>,
    stop: CancellationToken,
    what: String,
    host: String,
    port: u16,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((mut socket, _)) = accepted else {
            continue;
        };
        // Small request/reply packets: Nagle plus delayed ACKs would add ~40 ms to each.
        let _ = socket.set_nodelay(true);
        let Some(tunnel) = tunnel.upgrade() else {
            return;
        };
        let (what, host) = (what.clone(), host.clone());
        tokio::spawn(async move {
            let channel = match tunnel.session(false).await {
                Ok(connected) => open_channel(&connected, &what, &host, port, tunnel.timeout).await,
                Err(e) => Err(e),
            };
            drop(tunnel);
            match channel {
                Ok(channel) => {
                    let mut stream = channel.into_stream();
                    let _ = tokio::io::copy_bidirectional(&mut socket, &mut stream).await;
                }
                // The client sees its connection closed; the tunnel's state says why.
                Err(e) => tracing::warn!("SSH forward to {what} {host}:{port}: {e}"),
            }
        });
    }
}

async fn open_channel(
    connected: &Connected,
    what: &str,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<russh::Channel<client::Msg>> {
    let (bastion, handle) = connected.bastion();
    let server = format!("{what} {host}:{port}");
    crate::net::bounded(&server, timeout, async {
        handle
            .channel_open_direct_tcpip(host, port.into(), "127.0.0.1", 0)
            .await
            .map_err(|e| {
                unreachable(
                    &server,
                    format!("unreachable from {}: {}", bastion.label, channel_error(&e)),
                )
            })
    })
    .await
}

fn unreachable(server: &str, reason: String) -> Error {
    Error::Unreachable {
        server: server.to_owned(),
        reason,
    }
}

/// What the bastion said when it would not open a channel, in its own words.
fn channel_error(e: &russh::Error) -> String {
    match e {
        russh::Error::ChannelOpenFailure(reason) => format!("{reason:?}")
            .replace("ConnectFailed", "connection failed")
            .replace(
                "AdministrativelyProhibited",
                "forwarding is not allowed there",
            ),
        other => other.to_string(),
    }
}

/// Logs in to one hop as its profile or config says, naming the key or method refused.
async fn authenticate(
    handle: &mut Handle<Checker>,
    hop: &Hop,
    secret: Option<&Secret>,
) -> Result<()> {
    let refused = |message: String| Error::AuthFailed {
        server: hop.label.clone(),
        message,
    };
    let ssh = |e: russh::Error| refused(format!("SSH authentication failed: {e}"));
    let mut tried = Vec::new();
    if matches!(hop.auth, HopAuth::Password) {
        let password =
            secret.ok_or_else(|| refused(format!("no SSH password is saved for {}", hop.user)))?;
        let result = handle
            .authenticate_password(&hop.user, password.expose())
            .await
            .map_err(ssh)?;
        return match result.success() {
            true => Ok(()),
            false => Err(refused(format!("password refused for {}", hop.user))),
        };
    }
    // Which RSA signature the server takes (other key types ignore it).
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(ssh)?
        .flatten();
    if matches!(hop.auth, HopAuth::Agent | HopAuth::AgentThenKeys)
        && let Some(socket) = hop.agent_socket()
    {
        match russh::keys::agent::client::AgentClient::connect_uds(&socket).await {
            Ok(mut agent) => {
                let identities = agent.request_identities().await.unwrap_or_default();
                for identity in identities {
                    let russh::keys::agent::AgentIdentity::PublicKey { key, comment } = identity
                    else {
                        continue;
                    };
                    let result = handle
                        .authenticate_publickey_with(&hop.user, key.clone(), hash, &mut agent)
                        .await;
                    if result.is_ok_and(|r| r.success()) {
                        return Ok(());
                    }
                    tried.push(format!(
                        "agent key {}",
                        if comment.is_empty() {
                            fingerprint(&key)
                        } else {
                            comment
                        }
                    ));
                }
            }
            Err(e) if matches!(hop.auth, HopAuth::Agent) => {
                return Err(refused(format!(
                    "ssh-agent at {} cannot be used: {e}",
                    socket.display()
                )));
            }
            Err(_) => {}
        }
    }
    if matches!(hop.auth, HopAuth::Keys | HopAuth::AgentThenKeys) {
        for path in hop.key_files() {
            let key = load_key(&path, secret).map_err(refused)?;
            let result = handle
                .authenticate_publickey(&hop.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(ssh)?;
            if result.success() {
                return Ok(());
            }
            tried.push(format!("key {}", shown(&path)));
        }
    }
    Err(refused(match tried.is_empty() {
        true => format!(
            "no key to offer for {} (name one with --ssh-key, or start ssh-agent)",
            hop.user
        ),
        false => format!("refused {} for {}", tried.join(", "), hop.user),
    }))
}

/// A private key, decrypted with the saved passphrase when it is encrypted.
fn load_key(
    path: &Path,
    passphrase: Option<&Secret>,
) -> std::result::Result<russh::keys::PrivateKey, String> {
    match load_secret_key(path, None) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => match passphrase {
            None => Err(format!(
                "key {} is protected by a passphrase and none is saved",
                shown(path)
            )),
            Some(passphrase) => load_secret_key(path, Some(passphrase.expose()))
                .map_err(|_| format!("passphrase wrong for key {}", shown(path))),
        },
        Err(e) => Err(format!("cannot read key {}: {e}", shown(path))),
    }
}

/// `~/.ssh/id_ed25519` rather than the full home path.
pub(super) fn shown(path: &Path) -> String {
    let home: Option<PathBuf> = dirs::home_dir();
    match home.and_then(|home| path.strip_prefix(home).ok().map(Path::to_path_buf)) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}
