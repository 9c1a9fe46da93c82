package gemm

// StepShape is one entry of trainingShapes, for the external benchmarks.
type StepShape struct {
	M, N, K int
	TA, TB  bool
	Beta    float32
	PerStep int
}

// StepShapes returns trainingShapes.
func StepShapes() []StepShape {
	s := make([]StepShape, len(trainingShapes))
	for i, t := range trainingShapes {
		s[i] = StepShape{t.m, t.n, t.k, t.ta, t.tb, t.beta, t.perStep}
	}
	return s
}
