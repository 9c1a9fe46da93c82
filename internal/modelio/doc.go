// Package modelio is the generator's input/output contract: which channels
// the networks take and give, how pixels map to values, and the conversions
// between images and tensors that training, inference, evaluation and
// preparation all share.
//
// The generator's input is [N, InChannels, H, W]: the line art (1 channel,
// gray, 1 = white paper) followed by the hint (HintChannels: hint RGB where
// the mask is 1, else 0, then the mask in {0, 1}). Its output is
// [N, OutChannels, H, W], RGB. A byte v becomes v·Scale + Bias, so 0…255 maps
// to [−1, 1]; ToByte is the inverse, rounding and clamping. The
// discriminator sees the generator's input with an image appended,
// DiscChannels in all.
package modelio

// Channel counts of the networks' tensors.
const (
	LineChannels = 1                           // gray line art
	HintChannels = 4                           // hint RGB and its mask
	InChannels   = LineChannels + HintChannels // the generator's input
	OutChannels  = 3                           // RGB
	DiscChannels = InChannels + OutChannels    // the discriminator's input
)

// Scale and Bias map a byte v to the networks' value v·Scale + Bias.
const (
	Scale = 2.0 / 255
	Bias  = -1
)
