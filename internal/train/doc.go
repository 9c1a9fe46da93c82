// Package train is colorize's training loop: get batch → D and G step →
// every train.val_every steps the validation L1 (the paper's Fig. 2 measure)
// → every train.sample_every steps a sample grid → every
// train.checkpoint_every steps a checkpoint. The loop is resumable bit for
// bit: a checkpoint holds the weights, both Adam states, the batch-norm
// statistics, the step and the data position, and every other random choice
// (data order, augmentation, hints, dropout) is a pure function of the seed
// and the step or data position.
//
// Outputs in the run folder (train.out):
//
//	config.yaml                 the resolved configuration
//	metrics.jsonl               one JSON object per step ("kind":"train") and per validation ("kind":"val")
//	samples/step-00000500.png   line art | hints | output | target, one row per validation image
//	ckpt-00001000.safetensors   the newest train.keep_last checkpoints
//	best.safetensors            the checkpoint with the lowest validation L1
package train
