import { ProblemException } from '@iotwins/http';
import { encodeCursor, parseListQuery } from './list-query';

describe('object listing query', () => {
  it('defaults to every key, no delimiter, the largest page', () => {
    expect(parseListQuery({}, 1000)).toEqual({
      prefix: '',
      delimiter: undefined,
      limit: 1000,
      startAfter: undefined,
    });
  });

  it('reads a cursor it handed out', () => {
    const query = parseListQuery(
      {
        prefix: 'metrics/2021/',
        delimiter: '/',
        limit: '2',
        cursor: encodeCursor('metrics/2021/b'),
      },
      1000,
    );
    expect(query).toEqual({
      prefix: 'metrics/2021/',
      delimiter: '/',
      limit: 2,
      startAfter: 'metrics/2021/b',
    });
  });

  it('lists every invalid parameter at once', () => {
    try {
      parseListQuery({ delimiter: ',', limit: '0', cursor: 'garbage!', prefix: ['a', 'b'] }, 1000);
      throw new Error('expected a problem');
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      const pointers = (error as ProblemException).problem.errors?.map((e) => e.pointer);
      expect(pointers).toEqual(['prefix', 'delimiter', 'limit', 'cursor']);
    }
  });
});
