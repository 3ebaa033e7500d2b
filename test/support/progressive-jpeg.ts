// A grey progressive JPEG with as many scans as asked, written by hand: no encoder offers a
// scan script, and the scan count is what makes a progressive JPEG slow to decode (each scan is
// a pass over every block of the image). The picture is flat mid-grey, so every AC scan is a
// handful of end-of-band runs and the file stays small whatever its size: 10000x10000 with 883
// scans (the most a valid progression of one component has) is about 290 KB.
//
// The scans, in order: the DC scan, then for each of the 63 AC coefficients a first scan at
// bit 13 and its 13 refinements down to bit 0 (ITU T.81 G.1.1.1: Al at most 13, a refinement's
// Ah one above its Al). Asking for fewer scans keeps a prefix: still a valid progression.

export const MOST_SCANS = 1 + 63 * 14;

export function progressiveJpeg(opts: { width: number; height: number; scans: number }): Buffer {
  const { width, height } = opts;
  const scans = Math.min(Math.max(1, opts.scans), MOST_SCANS);
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const parts: Buffer[] = [marker(0xd8)];
  // One quantisation table of ones.
  parts.push(segment(0xdb, Buffer.from([0x00, ...Array<number>(64).fill(1)])));
  // SOF2: 8 bits, one component (id 1, 1x1 sampling, table 0).
  parts.push(segment(0xc2, Buffer.from([8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0])));
  // DC table 0: the one difference that occurs, 0 (a flat image at level 128), as the code "0".
  // AC table 0: the fifteen end-of-band runs EOB0..EOB14 (symbols 0x00..0xe0), 4 bits each.
  const eobSymbols = Array.from({ length: 15 }, (_, r) => r << 4);
  parts.push(
    segment(
      0xc4,
      Buffer.concat([
        Buffer.from([0x00, 1, ...Array<number>(15).fill(0), 0x00]),
        Buffer.from([0x10, 0, 0, 0, 15, ...Array<number>(12).fill(0), ...eobSymbols]),
      ]),
    ),
  );
  let written = 0;
  const scan = (ss: number, se: number, ah: number, al: number, data: Buffer) => {
    parts.push(segment(0xda, Buffer.from([1, 1, 0x00, ss, se, (ah << 4) | al])), data);
    written++;
  };
  scan(0, 0, 0, 0, dcScan(blocks));
  const acData = acScan(blocks);
  for (let k = 1; k <= 63 && written < scans; k++) {
    scan(k, k, 0, 13, acData);
    for (let bit = 13; bit >= 1 && written < scans; bit--) scan(k, k, bit, bit - 1, acData);
  }
  parts.push(marker(0xd9));
  return Buffer.concat(parts);
}

const marker = (code: number) => Buffer.from([0xff, code]);

function segment(code: number, body: Buffer): Buffer {
  const length = Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([marker(code), length, body]);
}

/** Every block's DC difference is 0: one "0" bit each. */
function dcScan(blocks: number): Buffer {
  const bits = new BitWriter();
  for (let i = 0; i < blocks; i++) bits.write(0, 1);
  return bits.finish();
}

/** No coefficient in any block: end-of-band runs of 32767 blocks, then one for the rest. */
function acScan(blocks: number): Buffer {
  const bits = new BitWriter();
  for (let left = blocks; left > 0;) {
    const run = Math.min(left, 32767);
    const r = Math.floor(Math.log2(run));
    bits.write(r, 4); // the symbol r<<4 has the 4-bit code r (canonical order of the table)
    if (r > 0) bits.write(run - (1 << r), r);
    left -= run;
  }
  return bits.finish();
}

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      this.current = (this.current << 1) | ((value >> i) & 1);
      if (++this.used === 8) this.flush();
    }
  }

  /** Pads with ones (T.81 F.1.2.3) and stuffs a zero after every 0xFF. */
  finish(): Buffer {
    if (this.used > 0) this.write(0xff, 8 - this.used);
    return Buffer.from(this.bytes);
  }

  private flush(): void {
    this.bytes.push(this.current);
    if (this.current === 0xff) this.bytes.push(0);
    this.current = 0;
    this.used = 0;
  }
}
