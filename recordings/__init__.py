"""HDF5 demonstrations: schema, crash-safe writer, reader and validation. numpy + h5py only."""
