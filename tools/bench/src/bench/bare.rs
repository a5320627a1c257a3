//! `flashsale-bench bare`: the HTTP ceiling. An actix-web server with the same worker count as the
//! service, answering `POST /bare` with a fixed small JSON. It reads the request body, as the
//! real endpoint must (an unread body also costs the connection its keep-alive).
use actix_web::{App, HttpResponse, HttpServer, web};

pub async fn serve(listen: &str, workers: usize) -> anyhow::Result<()> {
    HttpServer::new(|| {
        App::new().route(
            "/bare",
            web::post().to(|_: web::Bytes| async {
                HttpResponse::Accepted()
                    .content_type("application/json")
                    .body(r#"{"status":"pending"}"#)
            }),
        )
    })
    .workers(workers)
    .bind(listen)?
    .run()
    .await?;
    Ok(())
}
