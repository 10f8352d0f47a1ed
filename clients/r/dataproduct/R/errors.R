# The server's JSON errors as R conditions.

#' Errors from a data product server
#'
#' Every failure is signalled as a condition of classes
#' \code{c("dp_error_<code>", "dp_error", "error", "condition")} carrying the server's
#' \code{message}, its \code{code} (e.g. \code{"unauthorized"}, \code{"parameter_error"}),
#' the HTTP \code{status} and the \code{details} list (e.g. the parameter named).
#' Catch them with \code{tryCatch(..., dp_error = function(e) e$code)}.
#'
#' @param message the message shown.
#' @param code the server's error code.
#' @param status the HTTP status (\code{NA} when no answer came).
#' @param details a list of details.
#' @return a condition object.
#' @name dp_error
#' @export
dp_error <- function(message, code = "client_error", status = NA_integer_, details = list()) {
  structure(
    class = c(paste0("dp_error_", code), "dp_error", "error", "condition"),
    list(message = message, call = NULL, code = code, status = status, details = details)
  )
}

stop_dp <- function(message, code = "client_error", status = NA_integer_, details = list()) {
  stop(dp_error(message, code, status, details))
}

# The condition for an HTTP answer of status >= 400: the server's own message when the body
# is its error document, else one line naming the status (never the body dumped).
error_from_response <- function(response, url) {
  status <- httr::status_code(response)
  text <- tryCatch(httr::content(response, as = "text", encoding = "UTF-8"), error = function(e) "")
  body <- tryCatch(jsonlite::fromJSON(text, simplifyVector = FALSE), error = function(e) NULL)
  error <- if (is.list(body)) body$error else NULL
  if (is.list(error) && is.character(error$message)) {
    return(dp_error(error$message, error$code %||% "http_error", status, error$details %||% list()))
  }
  dp_error(sprintf("%s answered HTTP %d, which is not an answer of a dataproduct server.", url, status),
           "connection_error", status)
}

`%||%` <- function(a, b) if (is.null(a)) b else a
