# Entity frames: the rows of a cohort, chosen columns, with the product's types.

#' Read an entity's rows as a data.frame
#'
#' Only the rows matching \code{where} and the \code{columns} asked for travel. The frame
#' is streamed to a temporary file as CSV (or NDJSON) and read with
#' \code{data.table::fread}; the product's model gives each column its R type: integers,
#' doubles, logicals, \code{Date}, \code{POSIXct} (UTC), character, and factors whose levels
#' are the category's labels in order.
#'
#' @param dp a \code{dp_connection}.
#' @param entity an entity of the product (see \code{print(dp)}).
#' @param where a cohort: text such as \code{"age >= 40 and arms in ('ZDV', 'ddI')"}, a
#'   cohort tree (a list), or \code{NULL} for every row.
#' @param columns column names (\code{NULL}: all).
#' @param limit at most this many rows.
#' @param join related entities whose columns are joined on.
#' @param snapshot a snapshot id or tag; \code{"latest"} by default.
#' @param format \code{"csv"} (fast) or \code{"ndjson"}.
#' @param progress show the megabytes received while a frame arrives (transfers over a
#'   second), on one line rewritten in place.
#' @return a data.frame; \code{attr(, "snapshot")} is the snapshot read.
#' @examples
#' \dontrun{
#' dp_frame(dp, "patients", where = "age >= 40", columns = c("pidnum", "age", "arms"))
#' }
#' @export
dp_frame <- function(dp, entity, where = NULL, columns = NULL, limit = NULL, join = NULL,
                     snapshot = "latest", format = c("csv", "ndjson"), progress = interactive()) {
  check_connection(dp)
  format <- match.arg(format)
  body <- list(where = where, columns = if (!is.null(columns)) as.list(columns),
               join = if (!is.null(join)) as.list(join), limit = limit, snapshot = snapshot)
  body <- body[!vapply(body, is.null, TRUE)]
  file <- tempfile(fileext = paste0(".", format))
  on.exit(unlink(file), add = TRUE)
  options <- list(httr::write_disk(file, overwrite = TRUE))
  bar <- if (isTRUE(progress)) progress_bar()
  if (!is.null(bar)) options <- c(options, list(bar))
  response <- do.call(request, c(list(dp, "POST", paste0(dp$base, "/entities/", segment(entity), "/frame"),
                                      query = list(format = format), body = body,
                                      accept = if (format == "csv") "text/csv" else "application/x-ndjson"),
                                 options))
  if (!is.null(bar)) attr(bar, "finish")()
  frame <- if (format == "csv") read_csv_frame(file) else read_ndjson_frame(file)
  frame <- typed(frame, column_types(dp, c(entity, join)))
  attr(frame, "snapshot") <- httr::headers(response)[["x-dataproduct-snapshot"]]
  frame
}

# Bytes received so far (of the total when the server sends one), on one line rewritten in
# place, twice a second; silent for transfers shorter than a second.
progress_bar <- function(after = 1, every = 0.5) {
  started <- last <- Sys.time()
  shown <- FALSE
  report <- function(down, up) {
    now <- Sys.time()
    if (as.numeric(now - started, units = "secs") >= after && as.numeric(now - last, units = "secs") >= every) {
      last <<- now
      shown <<- TRUE
      total <- if (down[[1]] > 0) paste(" of", format_mb(down[[1]])) else ""
      message(sprintf("\rreceived %s%s in %.0f s", format_mb(down[[2]]), total,
                      as.numeric(now - started, units = "secs")), appendLF = FALSE)
    }
    TRUE
  }
  finish <- function() if (shown) message("")  # end the line
  structure(httr::config(noprogress = FALSE, progressfunction = report), finish = finish)
}

format_mb <- function(bytes) sprintf("%.1f MB", bytes / 1e6)

check_connection <- function(dp) {
  if (!inherits(dp, "dp_connection")) {
    stop_dp("dp must be a connection from dp_connect().", "parameter_error", details = list(parameter = "dp"))
  }
}

read_csv_frame <- function(file) {
  if (file.size(file) == 0) return(data.frame())
  # Everything as text first would be slow: let fread guess, then fix what the model says.
  # na.strings = "": the server writes a missing value as an empty field.
  frame <- data.table::fread(file, na.strings = "", colClasses = NULL, showProgress = FALSE,
                             integer64 = "double", logical01 = FALSE, data.table = FALSE)
  frame
}

read_ndjson_frame <- function(file) {
  if (file.size(file) == 0) return(data.frame())
  rows <- jsonlite::stream_in(file(file), verbose = FALSE)
  as.data.frame(rows, stringsAsFactors = FALSE)
}

# The model's type of each column of these entities (first entity wins a shared name).
column_types <- function(dp, entities) {
  types <- list()
  for (entity in entities) {
    for (name in names(dp$info$entities[[entity]]$columns)) {
      if (is.null(types[[name]])) types[[name]] <- dp$info$entities[[entity]]$columns[[name]]
    }
  }
  types
}

# Each column converted to the R type of its model type; columns the model does not know
# (derived by a join, say) keep what the reader made of them.
typed <- function(frame, types) {
  for (name in intersect(names(frame), names(types))) {
    frame[[name]] <- as_model_type(frame[[name]], types[[name]])
  }
  frame
}

as_model_type <- function(values, column) {
  switch(column$type,
    int = if (is.integer(values) || is.double(values) && any(abs(values) > .Machine$integer.max, na.rm = TRUE))
      values else as.integer(values),
    float = as.double(values),
    bool = as.logical(values),
    string = as.character(values),
    date = as.Date(as.character(values)),
    datetime = as.POSIXct(sub("T", " ", as.character(values)), tz = "UTC"),
    category = factor(as.character(values), levels = category_levels(column, values)),
    values
  )
}

category_levels <- function(column, values) {
  if (!is.null(column$labels)) return(unname(unlist(column$labels)))
  if (!is.null(column$levels)) return(unlist(column$levels))
  sort(unique(as.character(values[!is.na(values)])))
}
