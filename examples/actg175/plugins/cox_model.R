#' Cox proportional-hazards model
#' Hazard ratios with 95% confidence intervals from survival::coxph, for the time to the
#' first of CD4 decline of at least 50, AIDS or death. Categorical covariates are
#' compared with their first level (for arms: ZDV alone).

cox_model <- function(patients, covariates = "arms", time = "days", event = "cens") {
  library(survival)
  missing_columns <- setdiff(c(time, event, covariates), names(patients))
  if (length(missing_columns) > 0) {
    stop("columns not in the data: ", paste(missing_columns, collapse = ", "))
  }
  terms <- paste0("`", covariates, "`", collapse = " + ")
  formula <- as.formula(paste0("Surv(`", time, "`, `", event, "`) ~ ", terms))
  fit <- coxph(formula, data = patients, ties = "efron")
  s <- summary(fit)
  coefficients <- data.frame(
    term = gsub("`", "", rownames(s$coefficients)),
    coef = unname(s$coefficients[, "coef"]),
    se = unname(s$coefficients[, "se(coef)"]),
    hazard_ratio = unname(s$conf.int[, "exp(coef)"]),
    lower_95 = unname(s$conf.int[, "lower .95"]),
    upper_95 = unname(s$conf.int[, "upper .95"]),
    p_value = unname(s$coefficients[, "Pr(>|z|)"]),
    stringsAsFactors = FALSE
  )
  list(
    coefficients = coefficients,
    patients = as.integer(fit$n),
    events = as.integer(fit$nevent),
    concordance = unname(s$concordance[["C"]]),
    likelihood_ratio_p = unname(s$logtest[["pvalue"]])
  )
}
