# Connecting, and the one place requests are made.

#' Connect to a data product served by \code{dataproduct serve}
#'
#' @param url \code{http(s)://host:port/<product>}; without the product name when the
#'   server serves exactly one product to this token.
#' @param token a token made by \code{dataproduct token create}; by default
#'   \code{$DATAPRODUCT_TOKEN}.
#' @param timeout seconds to wait for an answer.
#' @return a \code{dp_connection}; \code{print} it to see the product.
#' @examples
#' \dontrun{
#' dp <- dp_connect("http://127.0.0.1:8750/actg175", token = Sys.getenv("DATAPRODUCT_TOKEN"))
#' }
#' @export
dp_connect <- function(url, token = Sys.getenv("DATAPRODUCT_TOKEN"), timeout = 300) {
  if (!is.character(url) || length(url) != 1 || !grepl("^https?://[^/]+", url)) {
    stop_dp("url must be one http(s) URL of a dataproduct server, e.g. http://127.0.0.1:8750/actg175.",
            "parameter_error", details = list(parameter = "url"))
  }
  parts <- split_url(url)
  dp <- new.env(parent = emptyenv())
  dp$root <- parts$root
  dp$token <- if (is.null(token) || identical(token, "")) NULL else token
  dp$timeout <- timeout
  dp$cache <- new.env(parent = emptyenv())
  name <- parts$name
  if (is.null(name)) {
    products <- vapply(request_json(dp, "GET", "/api/products")$products, function(p) p$name, "")
    if (length(products) != 1) {
      stop_dp(sprintf("%s serves %d products (%s); add one to the URL, e.g. %s/%s.", url, length(products),
                      if (length(products)) paste(products, collapse = ", ") else "none for this token",
                      parts$root, if (length(products)) products[[1]] else "NAME"),
              "parameter_error", details = list(products = as.list(products)))
    }
    name <- products[[1]]
  }
  dp$name <- name
  dp$base <- paste0("/api/products/", utils::URLencode(name, reserved = TRUE))
  dp$info <- tryCatch(
    request_json(dp, "GET", dp$base),  # checks the token and gives the entities' types
    dp_error_unauthorized = function(e) {
      if (!is.null(dp$token)) stop(e)
      e$message <- paste(e$message, "(No token was given: pass token = or set $DATAPRODUCT_TOKEN.)")
      stop(e)
    }
  )
  class(dp) <- "dp_connection"
  dp
}

#' @export
print.dp_connection <- function(x, ...) {
  info <- x$info
  cat(sprintf("<dp_connection %s/%s>\n%s %s: %s\n", x$root, x$name, info$name, info$version, info$title))
  for (entity in names(info$entities)) {
    cat(sprintf("  %s: %d columns\n", entity, length(info$entities[[entity]]$columns)))
  }
  invisible(x)
}

# "http://h:1/prefix/actg175" -> root "http://h:1/prefix", name "actg175" (as the Python client).
split_url <- function(url) {
  scheme_host <- regmatches(url, regexpr("^https?://[^/]+", url))
  path <- sub("/+$", "", substring(url, nchar(scheme_host) + 1))
  if (grepl("/api/products/", path, fixed = TRUE)) {
    prefix <- sub("/api/products/.*$", "", path)
    name <- strsplit(sub("^.*?/api/products/", "", path), "/", fixed = TRUE)[[1]][1]
  } else {
    prefix <- sub("/[^/]*$", "", path)
    name <- sub("^.*/", "", path)
  }
  list(root = paste0(scheme_host, prefix), name = if (is.na(name) || name == "") NULL else name)
}

segment <- function(value) utils::URLencode(as.character(value), reserved = TRUE)

headers <- function(dp, accept = "application/json") {
  values <- c(Accept = accept, `User-Agent` = "dataproduct-r")
  if (!is.null(dp$token)) values <- c(values, Authorization = paste("Bearer", dp$token))
  httr::add_headers(.headers = values)
}

# One request; an answer >= 400 becomes the server's error, a failure to connect a dp_error.
request <- function(dp, method, path, query = NULL, body = NULL, accept = "application/json", ...) {
  url <- paste0(dp$root, path)
  payload <- if (is.null(body)) NULL else to_json(body)
  response <- tryCatch(
    httr::VERB(method, url, headers(dp, accept), httr::timeout(dp$timeout), query = query,
               body = payload, if (!is.null(payload)) httr::content_type_json(), ...),
    error = function(e) stop_dp(sprintf("Cannot reach %s: %s", dp$root, conditionMessage(e)), "connection_error")
  )
  if (httr::status_code(response) >= 400) stop(error_from_response(response, url))
  response
}

request_json <- function(dp, method, path, query = NULL, body = NULL) {
  response <- request(dp, method, path, query, body)
  text <- httr::content(response, as = "text", encoding = "UTF-8")
  from_json(text, paste0(dp$root, path))
}
