import {
  BadRequestException,
  ForbiddenException,
  InternalServerErrorException,
} from '@nestjs/common';
import { ProblemException } from './problem-details';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it('keeps a ProblemException as it is, with its headers', () => {
    const error = ProblemException.of(
      401,
      'missing-token',
      'No bearer token',
      {},
      { 'WWW-Authenticate': 'Bearer' },
    );
    expect(toProblem(error)).toEqual({
      problem: {
        type: 'urn:iotwins:problem:missing-token',
        title: 'Authentication required',
        status: 401,
        detail: 'No bearer token',
      },
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  });

  it('lists every validation message as an item', () => {
    const { problem } = toProblem(
      new BadRequestException(['name must be a string', 'size must be positive']),
    );
    expect(problem).toMatchObject({
      type: 'urn:iotwins:problem:validation-failed',
      status: 400,
      detail: '2 invalid values',
      errors: [{ detail: 'name must be a string' }, { detail: 'size must be positive' }],
    });
  });

  it('maps a plain HttpException to the default type of its status', () => {
    expect(toProblem(new ForbiddenException('nope')).problem).toEqual({
      type: 'urn:iotwins:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'nope',
    });
  });

  it('hides the message of server errors', () => {
    expect(
      toProblem(new InternalServerErrorException('db password is x')).problem.detail,
    ).toBeUndefined();
    expect(toProblem(new Error('stack secrets')).problem).toEqual({
      type: 'urn:iotwins:problem:internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'See the server log for this request id',
    });
  });

  it('maps framework errors such as an oversized body', () => {
    const error = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toProblem(error).problem).toMatchObject({
      status: 413,
      type: 'urn:iotwins:problem:payload-too-large',
    });
  });
});
