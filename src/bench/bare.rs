//! `flashsale bare`: the HTTP ceiling. An actix-web server with the same worker count as the
//! service, answering `POST /bare` with a fixed small JSON without reading anything.
use actix_web::{App, HttpResponse, HttpServer, web};

pub async fn serve(listen: &str, workers: usize) -> anyhow::Result<()> {
    HttpServer::new(|| {
        App::new().route(
            "/bare",
            web::post().to(|| async {
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
