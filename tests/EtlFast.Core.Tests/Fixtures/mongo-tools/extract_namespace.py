# Independent of etlfast: walks a mongodump archive with the spec's grammar and writes one namespace's documents as .bson.
import struct,sys
b=open(sys.argv[1],'rb').read(); want=sys.argv[2]; out=open(sys.argv[3],'wb')
assert struct.unpack_from('<I',b,0)[0]==0x8199e26d
p=4
def item():
    global p
    n=struct.unpack_from('<I',b,p)[0]
    if n==0xFFFFFFFF: p+=4; return None
    d=b[p:p+n]; p+=n; return d
def strfield(d,name):
    k=b'\x02'+name.encode()+b'\x00'; i=d.index(k)+len(k); n=struct.unpack_from('<i',d,i)[0]; return d[i+4:i+3+n].decode()
item()
while item() is not None: pass
count=0
while p<len(b):
    h=item(); ns=strfield(h,'db')+'.'+strfield(h,'collection')
    while True:
        d=item()
        if d is None: break
        if ns==want: out.write(d); count+=1
print(count)
