"""Write a privaudit preprocessing spec from a fitted scikit-learn ColumnTransformer.

Usage as a library (see docs/preprocessing.md):

    from sklearn_preprocessing_spec import spec_from_column_transformer
    spec = spec_from_column_transformer(ct, label_column="species", classes=list(model.classes_),
                                        missing_values=["", "NA"])
    json.dump(spec, open("model.preprocessing.json", "w"), indent=2)

Run as a script, it rebuilds data/penguins.preprocessing.json (the spec privaudit's own tests use) from
data/penguins.csv, and with --encoded FILE also writes the ColumnTransformer's output for every row, which
the engine's tests compare with privaudit's own encoding.

Supported transformers per ColumnTransformer entry (anything else raises rather than guess):
  - numeric columns: StandardScaler, SimpleImputer(+add_indicator), or Pipeline(SimpleImputer, StandardScaler)
  - OneHotEncoder (drop=None; handle_unknown 'error' or 'ignore'; NaN among categories_ = missing indicator)
  - OrdinalEncoder or Pipeline(OrdinalEncoder, StandardScaler), one column each
  - 'passthrough' numeric columns (mean 0, std 1)
"""

import json
import math
import sys

import numpy as np


def _is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _steps(transformer):
    from sklearn.pipeline import Pipeline

    return [step for _, step in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]


def _numeric(columns, steps):
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    imputer = next((s for s in steps if isinstance(s, SimpleImputer)), None)
    scaler = next((s for s in steps if isinstance(s, StandardScaler)), None)
    if any(not isinstance(s, (SimpleImputer, StandardScaler)) for s in steps):
        raise ValueError(f"unsupported numeric steps for {columns}: {steps}")
    if scaler is not None and imputer is not None and steps.index(scaler) < steps.index(imputer):
        raise ValueError("StandardScaler before SimpleImputer is not supported: impute first")
    n = len(columns)
    # SimpleImputer(add_indicator=True) appends one indicator per column that had missing values at fit
    # time (features='missing-only'), after all the imputed columns; a following scaler scales them too.
    indicated = list(imputer.indicator_.features_) if imputer is not None and imputer.add_indicator else []
    mean = scaler.mean_ if scaler is not None and scaler.mean_ is not None else np.zeros(n + len(indicated))
    scale = scaler.scale_ if scaler is not None and scaler.scale_ is not None else np.ones(n + len(indicated))
    features = []
    for i, column in enumerate(columns):
        f = {"column": column, "type": "numeric", "mean": float(mean[i]), "std": float(scale[i])}
        if imputer is not None:
            f["impute"] = float(imputer.statistics_[i])
        features.append(f)
    for j, i in enumerate(indicated):
        k = n + j
        f = {"column": columns[i], "type": "missing-indicator"}
        if scaler is not None:
            f.update({"mean": float(mean[k]), "std": float(scale[k])})
        features.append(f)
    return features


def _one_hot(columns, encoder):
    if encoder.drop is not None:
        raise ValueError("OneHotEncoder(drop=...) is not supported: refit with drop=None")
    if encoder.handle_unknown not in ("error", "ignore"):
        raise ValueError(f"OneHotEncoder(handle_unknown={encoder.handle_unknown!r}) is not supported")
    features = []
    for column, categories in zip(columns, encoder.categories_):
        listed = [str(c) for c in categories if not _is_missing(c)]
        has_missing = len(listed) < len(categories)
        if has_missing and not _is_missing(categories[-1]):
            raise ValueError(f"{column}: the missing category is not last")
        features.append(
            {
                "column": column,
                "type": "categorical",
                "categories": listed,
                # NaN seen at fit time is a category of its own, last; unseen, it is unknown like any value.
                "missing": "indicator" if has_missing else ("ignore" if encoder.handle_unknown == "ignore" else "error"),
                "unknown": encoder.handle_unknown,
            }
        )
    return features


def _ordinal(columns, steps):
    from sklearn.preprocessing import OrdinalEncoder, StandardScaler

    encoder, rest = steps[0], steps[1:]
    if not isinstance(encoder, OrdinalEncoder) or any(not isinstance(s, StandardScaler) for s in rest):
        raise ValueError(f"unsupported ordinal steps for {columns}: {steps}")
    scaler = rest[0] if rest else None
    features = []
    for i, (column, levels) in enumerate(zip(columns, encoder.categories_)):
        if any(_is_missing(level) for level in levels):
            raise ValueError(f"{column}: a missing value among the ordinal levels is not supported")
        features.append(
            {
                "column": column,
                "type": "ordinal",
                "levels": [str(level) for level in levels],
                "mean": float(scaler.mean_[i]) if scaler is not None else 0.0,
                "std": float(scaler.scale_[i]) if scaler is not None else 1.0,
                "missing": "error",
            }
        )
    return features


def spec_from_column_transformer(ct, label_column, classes=None, missing_values=("",)):
    """The spec of a fitted ColumnTransformer (remainder must be 'drop'), features in its output order."""
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    features = []
    for name, transformer, columns in ct.transformers_:
        if name == "remainder":
            if transformer != "drop" and len(columns) > 0:
                raise ValueError("remainder='passthrough' is not supported: list the columns explicitly")
            continue
        columns = list(columns)
        if transformer == "drop":
            continue
        if transformer == "passthrough":
            features += [{"column": c, "type": "numeric", "mean": 0.0, "std": 1.0} for c in columns]
            continue
        steps = _steps(transformer)
        if isinstance(steps[0], OneHotEncoder) and len(steps) == 1:
            features += _one_hot(columns, steps[0])
        elif isinstance(steps[0], OrdinalEncoder):
            features += _ordinal(columns, steps)
        else:
            features += _numeric(columns, steps)
    label = {"column": label_column}
    if classes is not None:
        label["classes"] = [str(c) for c in classes]
    return {"label": label, "missingValues": list(missing_values), "features": features}


def penguins_column_transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    return ColumnTransformer(
        [
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                                  ("scale", StandardScaler())]), numeric),
            ("island", OneHotEncoder(), ["island"]),
            ("sex", OneHotEncoder(), ["sex"]),
            ("year", Pipeline([("order", OrdinalEncoder(categories=[["2007", "2008", "2009"]])),
                               ("scale", StandardScaler())]), ["year"]),
        ]
    )


def main(argv):
    import pandas as pd

    csv = "data/penguins.csv"
    # Strings stay strings (a category "2007" must match the cell "2007"); "NA" cells become NaN.
    table = pd.read_csv(csv, dtype={"species": str, "island": str, "sex": str, "year": str}, na_values=["NA"],
                        keep_default_na=False)
    ct = penguins_column_transformer().fit(table)
    spec = spec_from_column_transformer(ct, "species", ["Adelie", "Chinstrap", "Gentoo"], ["", "NA"])
    with open("data/penguins.preprocessing.json", "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    if len(argv) > 2 and argv[1] == "--encoded":
        encoded = ct.transform(table)
        np.savetxt(argv[2], encoded, delimiter=",", fmt="%.17g")


if __name__ == "__main__":
    main(sys.argv)
