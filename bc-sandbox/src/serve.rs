//! Serve a sandbox router on a loopback port.

use std::net::{Ipv4Addr, SocketAddr};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server. Dropping it stops accepting and aborts the server task; call
/// [`Served::shutdown`] for a graceful stop.
#[derive(Debug)]
pub struct Served {
    /// The bound address (always 127.0.0.1).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Served {
    /// Stop gracefully: stop accepting, let in-flight requests finish, wait for the task.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Wait until the server stops (it runs until shut down): for a command that serves forever.
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serve `router` on `127.0.0.1:port` (`0` picks any free port) in a background task of the
/// current tokio runtime.
pub async fn serve(router: axum::Router, port: u16) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Served {
        addr,
        base_url: format!("http://{addr}"),
        stop: Some(stop),
        task: Some(task),
    })
}
