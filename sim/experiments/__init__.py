"""Many runs to answer one question: compare, sweep, size (with its Erlang pre-screen) and the benchmark."""
