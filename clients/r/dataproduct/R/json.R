# JSON in and out. The server writes non-finite floats as NaN / Infinity (Python's json),
# which JSON parsers refuse: they are read through a marker string and turned back here.

NONFINITE <- "\u0001dp-nonfinite:"

from_json <- function(text, url = "the server") {
  if (grepl("NaN|Infinity", text)) {
    # Only outside strings: a string is matched (and skipped) first.
    text <- gsub('"(?:[^"\\\\]|\\\\.)*"(*SKIP)(*FAIL)|(-?Infinity|NaN)',
                 '"\\\\u0001dp-nonfinite:\\1"', text, perl = TRUE)  # JSON's escape of NONFINITE's \u0001
    parsed <- parse_json(text, url)
    return(restore_nonfinite(parsed))
  }
  parse_json(text, url)
}

parse_json <- function(text, url) {
  tryCatch(jsonlite::fromJSON(text, simplifyVector = FALSE),
           error = function(e) stop_dp(sprintf("%s answered something that is not JSON.", url), "connection_error"))
}

restore_nonfinite <- function(x) {
  if (is.list(x)) {
    kept <- attributes(x)
    x <- lapply(x, restore_nonfinite)
    attributes(x) <- kept
    return(x)
  }
  if (is.character(x) && length(x) == 1 && startsWith(x, NONFINITE)) {
    return(switch(substring(x, nchar(NONFINITE) + 1), "NaN" = NaN, "Infinity" = Inf, -Inf))
  }
  x
}

# Length-one vectors travel as scalars; wrap a value in I() or list() to send an array of one.
to_json <- function(value) {
  jsonlite::toJSON(value, auto_unbox = TRUE, null = "null", na = "null", digits = NA, POSIXt = "ISO8601",
                   Date = "ISO8601", factor = "string")
}
