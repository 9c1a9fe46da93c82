// Package lineart synthesises line art from color images with the extended
// difference of Gaussians (XDoG) of Winnemöller, Kyprianidis and Olsen,
// "XDoG: An eXtended difference-of-Gaussians compendium" (Computers &
// Graphics 36(6), 2012), for training on folders of color images that have no
// drawn line art.
//
// Images are 8-bit planar pictures (internal/imageio.Planes); the output is
// one gray plane, 255 for paper and darker for lines. Sigma is in pixels of
// the picture given, so the data pipeline runs XDoG after resizing to the
// training resolution, where the defaults were tuned.
package lineart
