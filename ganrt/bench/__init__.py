"""`ganrt bench` and what benchmarks/ measure with: the data (results), the machine it ran on
(machine), the work a frame is (flops), the measurement (run, with device for trtexec's CUDA
figures), what to measure when the user names a model (plan), and how results read (report).
Import from the module that holds a name; this file re-exports nothing."""
