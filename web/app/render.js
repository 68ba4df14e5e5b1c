// SPDX-License-Identifier: GPL-2.0-or-later
// Drawing a decoded frame (contract C3 layouts): WebGL2 with the luma as an
// R8 texture and the chroma as RG8 (4:2:0 'nv12' or 4:2:2 'nv16'), a
// shader converting BT.601 limited range; Canvas2D (the same arithmetic in
// JavaScript) where WebGL2 is not there.

const VS = `#version 300 es
in vec2 p;
out vec2 uv;
void main() { uv = vec2((p.x + 1.0) * 0.5, (1.0 - p.y) * 0.5); gl_Position = vec4(p, 0.0, 1.0); }`;
const FS = `#version 300 es
precision mediump float;
uniform sampler2D ty;
uniform sampler2D tc;
uniform bool grey;
in vec2 uv;
out vec4 o;
void main() {
	float y = (texture(ty, uv).r * 255.0 - 16.0) * (1.0 / 219.0);
	vec2 c = grey ? vec2(0.0) : (texture(tc, uv).rg * 255.0 - 128.0) * (1.0 / 224.0);
	o = vec4(clamp(vec3(y + 1.402 * c.y,
			    y - 0.344136 * c.x - 0.714136 * c.y,
			    y + 1.772 * c.x), 0.0, 1.0), 1.0);
}`;

export function makeRenderer(canvas, force2d = false) {
	if (!force2d) {
		/* kept after compositing: snapshots and the tests read it back */
		const gl = canvas.getContext('webgl2', { preserveDrawingBuffer: true });

		if (gl)
			return new GlRenderer(canvas, gl);
	}
	return new Canvas2dRenderer(canvas);
}

class GlRenderer {
	constructor(canvas, gl) {
		this.kind = 'webgl2';
		this.canvas = canvas;
		this.gl = gl;
		const sh = (type, src) => {
			const s = gl.createShader(type);

			gl.shaderSource(s, src);
			gl.compileShader(s);
			if (!gl.getShaderParameter(s, gl.COMPILE_STATUS))
				throw new Error(gl.getShaderInfoLog(s));
			return s;
		};
		const p = gl.createProgram();

		gl.attachShader(p, sh(gl.VERTEX_SHADER, VS));
		gl.attachShader(p, sh(gl.FRAGMENT_SHADER, FS));
		gl.linkProgram(p);
		gl.useProgram(p);
		this.prog = p;
		const buf = gl.createBuffer();

		gl.bindBuffer(gl.ARRAY_BUFFER, buf);
		gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
		const loc = gl.getAttribLocation(p, 'p');

		gl.enableVertexAttribArray(loc);
		gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
		this.ty = this.tex(0);
		this.tc = this.tex(1);
		gl.uniform1i(gl.getUniformLocation(p, 'ty'), 0);
		gl.uniform1i(gl.getUniformLocation(p, 'tc'), 1);
		this.uGrey = gl.getUniformLocation(p, 'grey');
		gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
	}

	tex(unit) {
		const gl = this.gl, t = gl.createTexture();

		gl.activeTexture(gl.TEXTURE0 + unit);
		gl.bindTexture(gl.TEXTURE_2D, t);
		gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
		gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
		gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
		gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
		return t;
	}

	draw(f) {
		const gl = this.gl, w = f.width, h = f.height;

		if (this.canvas.width !== w || this.canvas.height !== h) {
			this.canvas.width = w;
			this.canvas.height = h;
		}
		gl.viewport(0, 0, w, h);
		gl.activeTexture(gl.TEXTURE0);
		gl.bindTexture(gl.TEXTURE_2D, this.ty);
		gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, w, h, 0, gl.RED, gl.UNSIGNED_BYTE, f.planes[0]);
		const grey = f.layout === 'grey';

		gl.uniform1i(this.uGrey, grey ? 1 : 0);
		if (!grey) {
			const cw = (w + 1) >> 1, ch = f.layout === 'nv12' ? (h + 1) >> 1 : h;

			gl.activeTexture(gl.TEXTURE1);
			gl.bindTexture(gl.TEXTURE_2D, this.tc);
			gl.texImage2D(gl.TEXTURE_2D, 0, gl.RG8, cw, ch, 0, gl.RG, gl.UNSIGNED_BYTE, f.planes[1]);
		}
		gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
	}
}

class Canvas2dRenderer {
	constructor(canvas) {
		this.kind = 'canvas2d';
		this.canvas = canvas;
		this.g = canvas.getContext('2d');
	}

	draw(f) {
		const w = f.width, h = f.height, c = this.canvas;

		if (c.width !== w || c.height !== h) {
			c.width = w;
			c.height = h;
		}
		const img = this.g.createImageData(w, h), o = img.data;
		const Y = f.planes[0], C = f.planes[1], cw = (w + 1) >> 1;
		const sub = f.layout === 'nv12' ? 1 : 0;

		for (let y = 0, i = 0; y < h; y++) {
			const crow = (y >> sub) * cw * 2;

			for (let x = 0; x < w; x++, i += 4) {
				const l = (Y[y * w + x] - 16) * (255 / 219);
				let r = l, g = l, b = l;

				if (C) {
					const u = (C[crow + (x >> 1) * 2] - 128) * (255 / 224);
					const v = (C[crow + (x >> 1) * 2 + 1] - 128) * (255 / 224);

					r = l + 1.402 * v;
					g = l - 0.344136 * u - 0.714136 * v;
					b = l + 1.772 * u;
				}
				o[i] = r;
				o[i + 1] = g;
				o[i + 2] = b;
				o[i + 3] = 255;
			}
		}
		this.g.putImageData(img, 0, 0);
	}
}
